// The trivial provider: one cluster, engaged at start and disengaged at stop. It owns the
// cluster's informers and, when it built the client itself, the client's connections.
import type { Logger } from 'pino';
import { KubeClient } from '../../kube/client.ts';
import type { ClusterConnection } from '../../kube/config.ts';
import { SharedInformerFactory } from '../../runtime/cache/factory.ts';
import type { ReflectorMetrics } from '../../runtime/cache/reflector.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { ClusterSink, Provider } from '../../runtime/manager/provider.ts';
import type { RequestObserver } from '../../kube/client.ts';

export interface SingleClusterProviderOptions {
  /** The cluster's name in logs and requests (default `default`). */
  name?: string;
  /** Either a connection (the provider makes and closes the client) or a client it only borrows. */
  connection?: ClusterConnection;
  client?: KubeClient;
  clock: Clock;
  log: Logger;
  resyncMs?: number;
  metrics?: { reflector?: ReflectorMetrics; requests?: RequestObserver };
}

export class SingleClusterProvider implements Provider {
  readonly #o: SingleClusterProviderOptions;

  constructor(opts: SingleClusterProviderOptions) {
    if (!opts.connection === !opts.client) {
      throw new Error('SingleClusterProvider needs exactly one of connection or client');
    }
    this.#o = opts;
  }

  async run(sink: ClusterSink, signal: AbortSignal): Promise<void> {
    const { clock, log, resyncMs, metrics } = this.#o;
    const owned = this.#o.connection
      ? new KubeClient(this.#o.connection, {
          ...(metrics?.requests && { observer: metrics.requests }),
        })
      : undefined;
    const client = owned ?? this.#o.client;
    if (!client) throw new Error('SingleClusterProvider needs a connection or a client');
    const informers = new SharedInformerFactory({
      client,
      clock,
      log,
      ...(resyncMs !== undefined && { resyncMs }),
      ...(metrics?.reflector && { metrics: metrics.reflector }),
    });
    const cluster: Cluster = { name: this.#o.name ?? 'default', client, informers };
    // Engaging waits for caches to sync, which can take forever (e.g. RBAC denies the list), so
    // the stop signal must not wait for it.
    const engaged = sink
      .engage(cluster)
      .catch((err: unknown) => log.error({ err, cluster: cluster.name }, 'engage failed'));
    try {
      await untilAborted(signal);
    } finally {
      await sink.disengage(cluster.name);
      await engaged;
      await informers.stop();
      await owned?.close();
    }
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
