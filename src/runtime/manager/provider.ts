// Where clusters come from. A provider announces clusters as they appear (engage) and disappear
// (disengage). The plain Kubernetes provider engages its one cluster at start; a kcp provider
// engages each logical cluster that binds its APIExport, as the endpoint slice reports them, and
// serves them all through wildcard informers on the APIExport's virtual-workspace URL, handing
// each Cluster an informer factory that views only that cluster's objects.
import type { Cluster } from '../cluster.ts';

export interface ClusterSink<C extends Cluster = Cluster> {
  /** Starts every controller on `cluster`; resolves when they watch it (caches synced). */
  engage(cluster: C): Promise<void>;
  /** Stops every controller's work on the cluster; resolves when none touches it any more. */
  disengage(name: string): Promise<void>;
}

export interface Provider<C extends Cluster = Cluster> {
  /**
   * Announces clusters to `sink` until `signal` aborts. Before resolving it disengages every
   * cluster it engaged and releases what it created for them (informers, connections).
   */
  run(sink: ClusterSink<C>, signal: AbortSignal): Promise<void>;
}

/**
 * `provider` with `hooks` run around every engagement: each hook's engage before the sink's (a
 * hook that throws aborts the engagement), each hook's disengage after the sink's.
 */
export function withEngageHooks<C extends Cluster>(
  provider: Provider<C>,
  hooks: readonly ClusterSink<C>[],
): Provider<C> {
  return {
    run: (sink, signal) =>
      provider.run(
        {
          engage: async (cluster) => {
            for (const hook of hooks) await hook.engage(cluster);
            await sink.engage(cluster);
          },
          disengage: async (name) => {
            await sink.disengage(name);
            for (const hook of hooks) await hook.disengage(name);
          },
        },
        signal,
      ),
  };
}
