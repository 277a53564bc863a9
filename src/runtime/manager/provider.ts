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
