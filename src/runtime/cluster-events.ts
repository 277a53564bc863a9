// Events where the object lives. With several clusters (kcp logical clusters) an Event must be
// written into the object's own cluster, so this recorder follows engagement like a controller
// does and routes each event by the object's cluster (kcp names it in an annotation); objects
// without one belong to the single unnamed-in-storage cluster of a plain provider.
import type { Logger } from 'pino';
import type { KubeObject } from '../kube/resource.ts';
import { clusterOf } from './cache/keys.ts';
import type { Clock } from './clock.ts';
import type { Cluster } from './cluster.ts';
import { ClientEventRecorder, type EventRecorder, type EventType } from './events.ts';
import type { ClusterSink } from './manager/provider.ts';

export interface ClusterEventRecordersOptions {
  component: string;
  clock: Clock;
  log: Logger;
  /** The cluster of objects that name none (the plain provider's `default`). */
  unnamedCluster?: string;
}

export class ClusterEventRecorders implements EventRecorder, ClusterSink {
  readonly #o: ClusterEventRecordersOptions;
  readonly #recorders = new Map<string, ClientEventRecorder>();

  constructor(opts: ClusterEventRecordersOptions) {
    this.#o = opts;
  }

  engage(cluster: Cluster): Promise<void> {
    const { component, clock, log } = this.#o;
    this.#recorders.set(
      cluster.name,
      new ClientEventRecorder({
        client: cluster.client,
        component,
        clock,
        log: log.child({ cluster: cluster.name }),
      }),
    );
    return Promise.resolve();
  }

  disengage(name: string): Promise<void> {
    this.#recorders.delete(name);
    return Promise.resolve();
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const cluster = clusterOf(obj) || this.#o.unnamedCluster || '';
    const recorder = this.#recorders.get(cluster);
    if (!recorder) {
      // The cluster went away while its object was being reconciled; nobody could read it.
      this.#o.log.debug({ cluster, reason, object: obj.metadata?.name }, 'event dropped');
      return Promise.resolve();
    }
    return recorder.event(obj, type, reason, message);
  }
}
