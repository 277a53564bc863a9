// The manager runs registered controllers on every cluster a provider engages, optionally only
// while this replica holds the leader lease. Controllers get their workers once; clusters come
// and go underneath them.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster.ts';
import { Controller } from '../controller/controller.ts';
import type { ControllerMetrics, ControllerSpec } from '../controller/controller.ts';
import type { QueueMetrics } from '../workqueue/index.ts';
import type { LeaderGate } from './leader.ts';
import type { ClusterSink, Provider } from './provider.ts';

export interface ManagerOptions<C extends Cluster> {
  provider: Provider<C>;
  clock: Clock;
  log: Logger;
  metrics?: ControllerMetrics & { queue?: QueueMetrics };
  /** Without one, this replica always leads. */
  leaderElection?: LeaderGate;
  newReconcileId?: () => string;
}

export class Manager<C extends Cluster = Cluster> {
  readonly #o: ManagerOptions<C>;
  readonly #specs: ControllerSpec<C>[] = [];
  readonly #engaged = new Set<string>();
  #controllers: Controller<C>[] = [];
  #running = false;

  constructor(opts: ManagerOptions<C>) {
    this.#o = opts;
  }

  /** Registers a controller; all must be added before start(). */
  add(spec: ControllerSpec<C>): this {
    if (this.#running) throw new Error(`cannot add controller ${spec.name}: manager is running`);
    if (this.#specs.some((s) => s.name === spec.name)) {
      throw new Error(`controller name ${spec.name} is already registered`);
    }
    this.#specs.push(spec);
    return this;
  }

  /** Names of the clusters currently engaged. */
  get engagedClusters(): string[] {
    return [...this.#engaged];
  }

  /**
   * Runs until `signal` aborts, then stops every controller and resolves once nothing remains.
   * Rejects when leadership is lost (after stopping everything).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error('manager already started');
    this.#running = true;
    try {
      const gate = this.#o.leaderElection;
      if (gate) await gate.run(signal, (leading) => this.#lead(leading));
      else await this.#lead(signal);
    } finally {
      this.#running = false;
    }
  }

  /** Requests of `cluster` waiting for a delayed add, across controllers (0 once disengaged). */
  delayedRequests(cluster: string): number {
    return this.#controllers.reduce((n, c) => n + c.delayedFor(cluster), 0);
  }

  async #lead(signal: AbortSignal): Promise<void> {
    const { clock, log, metrics, newReconcileId } = this.#o;
    const controllers = this.#specs.map(
      (spec) =>
        new Controller<C>(spec, {
          clock,
          log,
          ...(metrics && { metrics }),
          ...(newReconcileId && { newReconcileId }),
        }),
    );
    this.#controllers = controllers;
    for (const c of controllers) c.start();
    log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
    try {
      await this.#o.provider.run(this.#sink(controllers), signal);
    } finally {
      await Promise.all(controllers.map((c) => c.stop()));
      this.#controllers = [];
      this.#engaged.clear();
      log.info('controllers stopped');
    }
  }

  #sink(controllers: Controller<C>[]): ClusterSink<C> {
    const log = this.#o.log;
    return {
      engage: async (cluster) => {
        this.#engaged.add(cluster.name);
        const results = await Promise.allSettled(controllers.map((c) => c.engage(cluster)));
        for (const [i, r] of results.entries()) {
          if (r.status === 'rejected' && this.#engaged.has(cluster.name)) {
            log.error(
              { err: r.reason, cluster: cluster.name, controller: controllers[i]?.name },
              'engaging cluster failed',
            );
          }
        }
      },
      disengage: (name) => {
        this.#engaged.delete(name);
        for (const c of controllers) c.disengage(name);
        return Promise.resolve();
      },
    };
  }
}
