// The controller loop: events from watched informers become requests on a deduplicating,
// rate-limited work-queue; N workers run the reconciler, each key on at most one worker at a
// time. Clusters are engaged and disengaged at run time: engaging registers the controller's
// watches on that cluster's informers once they have synced; disengaging removes them and drops
// the cluster's queued requests.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeObject } from '../../kube/resource.ts';
import type { HandlerRegistration } from '../cache/informer.ts';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster.ts';
import { defaultControllerRateLimiter, WorkQueue } from '../workqueue/index.ts';
import type { QueueMetrics, RateLimiter } from '../workqueue/index.ts';
import type { Watch } from './handlers.ts';
import { forObject } from './handlers.ts';
import { requestLabel, parseRequestKey, requestKey } from './request.ts';
import type { ObjectRef, Request } from './request.ts';
import { outcomeOf } from './result.ts';
import type { Outcome, Result } from './result.ts';

export interface ReconcileContext<C extends Cluster = Cluster> {
  cluster: C;
  /** Carries controller, cluster, key and reconcileId. */
  log: Logger;
  /** Aborts when the controller stops or the cluster is disengaged. */
  signal: AbortSignal;
  reconcileId: string;
}

export interface ControllerSpec<C extends Cluster = Cluster> {
  name: string;
  /** Concurrent reconciles (default 1). */
  workers?: number;
  /** Called once per engaged cluster: which informers feed this controller, and how. */
  watches(cluster: C): Watch[];
  // A reconciler that returns nothing is done; `void` lets plain async functions qualify.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  reconcile(req: Request, ctx: ReconcileContext<C>): Promise<Result | undefined | void>;
  rateLimiter?: RateLimiter<string>;
}

export interface ControllerMetrics {
  reconciled(controller: string, outcome: Outcome['kind'], seconds: number): void;
  activeWorkers(controller: string, delta: number): void;
}

export interface ControllerOptions {
  clock: Clock;
  log: Logger;
  metrics?: ControllerMetrics & { queue?: QueueMetrics };
  newReconcileId?: () => string;
}

interface Engaged<C> {
  cluster: C;
  abort: AbortController;
  registrations: HandlerRegistration[];
}

export class Controller<C extends Cluster = Cluster> {
  readonly name: string;
  readonly #spec: ControllerSpec<C>;
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #queue: WorkQueue;
  readonly #clusters = new Map<string, Engaged<C>>();
  readonly #abort = new AbortController();
  #workers: Promise<void>[] = [];

  constructor(spec: ControllerSpec<C>, opts: ControllerOptions) {
    this.name = spec.name;
    this.#spec = spec;
    this.#o = opts;
    this.#log = opts.log.child({ controller: spec.name });
    this.#queue = new WorkQueue<string>({
      name: spec.name,
      clock: opts.clock,
      rateLimiter: spec.rateLimiter ?? defaultControllerRateLimiter(opts.clock),
      ...(opts.metrics?.queue && { metrics: opts.metrics.queue }),
    });
  }

  /** Starts the workers; requests wait in the queue until a cluster is engaged and synced. */
  start(): void {
    if (this.#workers.length > 0) return;
    const n = Math.max(1, this.#spec.workers ?? 1);
    for (let i = 0; i < n; i++) this.#workers.push(this.#worker());
  }

  /** Stops taking work, aborts running reconciles, and waits for the workers to return. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error(`controller ${this.name} stopped`));
    for (const name of [...this.#clusters.keys()]) this.disengage(name);
    this.#queue.shutDown();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  /**
   * Registers the controller's watches on `cluster` once their informers have synced. Resolves
   * when events flow; rejects if the cluster is disengaged or the controller stops first.
   */
  async engage(cluster: C): Promise<void> {
    if (this.#abort.signal.aborted) throw new Error(`controller ${this.name} is stopped`);
    this.disengage(cluster.name);
    const abort = new AbortController();
    const entry: Engaged<C> = { cluster, abort, registrations: [] };
    this.#clusters.set(cluster.name, entry);
    const watches = this.#spec.watches(cluster);
    cluster.informers.start();
    const signal = abort.signal;
    await Promise.all(watches.map((w) => w.informer.waitForSync(signal)));
    if (signal.aborted) return;
    for (const w of watches) entry.registrations.push(this.#register(cluster.name, w));
    this.#log.info({ cluster: cluster.name, watches: watches.length }, 'cluster engaged');
  }

  /**
   * Removes the cluster's watches and cancels its delayed requests (requeue-after, backoff), so
   * no timer outlives it; requests already queued are dropped when they come up.
   */
  disengage(name: string): void {
    const entry = this.#clusters.get(name);
    if (!entry) return;
    this.#clusters.delete(name);
    entry.abort.abort(new Error(`cluster ${name} disengaged`));
    for (const r of entry.registrations) r.remove();
    const cancelled = this.#queue.dropDelayed((key) => parseRequestKey(key).cluster === name);
    this.#log.info({ cluster: name, cancelledRequeues: cancelled }, 'cluster disengaged');
  }

  /** Requests of `cluster` waiting for a delayed add (requeue-after, backoff). */
  delayedFor(cluster: string): number {
    return this.#queue.countDelayed((key) => parseRequestKey(key).cluster === cluster);
  }

  #register(cluster: string, w: Watch): HandlerRegistration {
    const map = w.map ?? forObject<KubeObject>();
    const add = (refs: readonly ObjectRef[]): void => {
      for (const ref of refs) {
        this.#queue.add(requestKey({ cluster, namespace: ref.namespace ?? '', name: ref.name }));
      }
    };
    const pass = (obj: KubeObject, old?: KubeObject): boolean => !w.filter || w.filter(obj, old);
    return w.informer.addEventHandler({
      add: (obj) => pass(obj) && add(map(obj)),
      update: (old, obj) => {
        if (!pass(obj, old)) return;
        // One add per key: adding the same key twice while a worker is idle would hand it out
        // with the first add and mark it dirty with the second, reconciling it twice.
        const refs = new Map<string, ObjectRef>();
        for (const ref of [...map(old), ...map(obj)]) {
          refs.set(`${ref.namespace ?? ''}/${ref.name}`, ref);
        }
        add([...refs.values()]);
      },
      delete: (obj) => add(map(obj)),
    });
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      this.#o.metrics?.activeWorkers(this.name, 1);
      try {
        await this.#process(key);
      } finally {
        this.#o.metrics?.activeWorkers(this.name, -1);
        this.#queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const req = parseRequestKey(key);
    const entry = this.#clusters.get(req.cluster);
    if (!entry) {
      // The cluster went away after this request was queued; nothing to reconcile against.
      this.#queue.forget(key);
      return;
    }
    const reconcileId = (this.#o.newReconcileId ?? randomUUID)();
    const log = this.#log.child({ cluster: req.cluster, key: requestLabel(req), reconcileId });
    const started = performance.now();
    let settled: { result?: Result | undefined; error?: unknown };
    try {
      const result = await this.#spec.reconcile(req, {
        cluster: entry.cluster,
        log,
        // stop() disengages every cluster, so this one signal covers both.
        signal: entry.abort.signal,
        reconcileId,
      });
      settled = { result: result ?? undefined };
    } catch (error) {
      settled = { error };
    }
    const outcome = outcomeOf(settled);
    this.#o.metrics?.reconciled(this.name, outcome.kind, (performance.now() - started) / 1000);
    this.#act(key, outcome, log);
  }

  #act(key: string, outcome: Outcome, log: Logger): void {
    switch (outcome.kind) {
      case 'success':
        this.#queue.forget(key);
        return;
      case 'requeue_after':
        this.#queue.forget(key);
        this.#queue.addAfter(key, outcome.delayMs);
        return;
      case 'terminal_error':
        log.error({ err: outcome.error }, 'reconcile failed permanently, not retrying');
        this.#queue.forget(key);
        return;
      case 'error':
        if (this.#abort.signal.aborted) return;
        log.error(
          { err: outcome.error, retries: this.#queue.numRequeues(key) },
          'reconcile failed',
        );
        this.#queue.addRateLimited(key);
        return;
    }
  }
}
