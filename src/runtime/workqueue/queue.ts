// A keyed work queue with client-go's guarantees: a key waits at most once (the dirty set), is
// never held by two workers at a time (the processing map), and a key re-added while it is being
// processed runs once more after `done`. Delays and backoff run on the injected clock.
import { realClock, type Clock, type Timer } from '../clock.ts';
import { Fifo } from './fifo.ts';
import type { QueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** Any value usable as a Map key except undefined and null: `get` uses undefined for "shut down". */
export type QueueKey = string | number | bigint | boolean | symbol | object;

export interface WorkQueueOptions<K> {
  /** Names the queue in metrics. */
  name: string;
  clock?: Clock;
  /** Backoff for `addRateLimited`; defaults to controller-runtime's default limiter. */
  rateLimiter?: RateLimiter<K>;
  metrics?: QueueMetrics;
}

/**
 * running: accepts adds. draining: no adds, but queued and in-flight keys are still worked off.
 * stopped: `get` returns undefined.
 */
type State = 'running' | 'draining' | 'stopped';

interface Delayed {
  at: number;
  timer: Timer;
}

export class WorkQueue<K extends QueueKey = string> {
  readonly name: string;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter<K>;
  readonly #metrics: QueueMetrics | undefined;
  readonly #queue = new Fifo<K>();
  /** Keys that need processing: queued ones, and ones re-added while being processed. */
  readonly #dirty = new Set<K>();
  /** Keys handed out and not yet done, with the time `get` handed them out. */
  readonly #processing = new Map<K, number>();
  /** When each dirty key was added, for the latency metric. */
  readonly #addedAt = new Map<K, number>();
  readonly #delayed = new Map<K, Delayed>();
  /** Pending `get` calls, served first come first served. */
  readonly #waiters: ((item: K | undefined) => void)[] = [];
  readonly #drainers: ((drained: boolean) => void)[] = [];
  #state: State = 'running';

  constructor(options: WorkQueueOptions<K>) {
    this.name = options.name;
    this.#clock = options.clock ?? realClock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.#clock);
    this.#metrics = options.metrics;
  }

  /** Queues `item` unless it is already waiting; ignored once shutting down. */
  add(item: K): void {
    if (this.#state !== 'running' || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    this.#addedAt.set(item, this.#clock.now());
    this.#metrics?.add(this.name);
    this.#reportDepth();
    // A key being processed is queued by done(), so no second worker picks it up meanwhile.
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#handOut();
  }

  /**
   * Resolves with the next key, which the caller must pass to `done` when finished; or with
   * undefined once the queue has stopped (see `shutDown` and `shutDownWithDrain`).
   */
  get(): Promise<K | undefined> {
    if (this.#state === 'stopped') return Promise.resolve(undefined);
    const item = this.#queue.shift();
    if (item !== undefined) return Promise.resolve(this.#start(item));
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** Ends processing of `item`; queues it again if it was re-added meanwhile. */
  done(item: K): void {
    const startedAt = this.#processing.get(item);
    if (startedAt === undefined) return;
    this.#processing.delete(item);
    this.#metrics?.workDuration(this.name, (this.#clock.now() - startedAt) / 1000);
    if (this.#dirty.has(item) && this.#state !== 'stopped') {
      this.#queue.push(item);
      this.#handOut();
    }
    this.#checkDrained();
  }

  /**
   * Adds `item` after `ms`. A key already waiting for a delayed add keeps the earlier due time, so
   * a later request never postpones an earlier one. A plain `add` meanwhile does not cancel it.
   */
  addAfter(item: K, ms: number): void {
    if (this.#state !== 'running') return;
    this.#metrics?.retry(this.name);
    if (!(ms > 0)) {
      this.add(item);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(item);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.#clock.setTimer(ms, () => {
      this.#delayed.delete(item);
      this.add(item);
    });
    this.#delayed.set(item, { at, timer });
  }

  /** Adds `item` after the rate limiter's delay for it (one more failure of `item`). */
  addRateLimited(item: K): void {
    // Checked first so that a stopping queue does not count failures or spend tokens.
    if (this.#state !== 'running') return;
    this.addAfter(item, this.#limiter.when(item));
  }

  /**
   * Cancels the delayed adds of the keys `matches` picks and clears their failure history (a
   * controller leaving a cluster must not keep timers for it). Returns how many it cancelled.
   */
  dropDelayed(matches: (item: K) => boolean): number {
    let dropped = 0;
    for (const [item, { timer }] of [...this.#delayed]) {
      if (!matches(item)) continue;
      timer.cancel();
      this.#delayed.delete(item);
      this.#limiter.forget(item);
      dropped++;
    }
    return dropped;
  }

  /** How many delayed adds `matches` picks (nothing is changed). */
  countDelayed(matches: (item: K) => boolean): number {
    let n = 0;
    for (const item of this.#delayed.keys()) if (matches(item)) n++;
    return n;
  }

  /** Clears the rate limiter's failure history for `item`; call after it succeeded. */
  forget(item: K): void {
    this.#limiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.#limiter.retries(item);
  }

  /** Keys waiting to be handed out (neither being processed nor delayed). */
  len(): number {
    return this.#queue.length;
  }

  processingCount(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a delayed add. */
  delayedCount(): number {
    return this.#delayed.size;
  }

  isShuttingDown(): boolean {
    return this.#state !== 'running';
  }

  /**
   * Stops at once: adds are ignored, delayed adds cancelled, and every pending and future `get`
   * resolves undefined. Keys still queued are abandoned; workers may still call `done`.
   */
  shutDown(): void {
    this.#stop(false);
  }

  /**
   * Stops accepting adds and cancels delayed adds, but unlike `shutDown` lets workers finish what
   * was admitted: `get` keeps handing out queued keys (including keys re-queued by `done`), and
   * resolves undefined only when nothing is queued or in flight. (client-go only waits for
   * in-flight keys; waiting for queued ones too makes "drained" mean that all admitted work ran.)
   * Resolves true once drained; false if the queue stopped first: `shutDown` was called or
   * `signal` aborted, which both stop the queue as `shutDown` does. Needs running workers.
   */
  shutDownWithDrain(signal?: AbortSignal): Promise<boolean> {
    if (this.#state === 'stopped') return Promise.resolve(this.#idle());
    this.#state = 'draining';
    this.#cancelDelayed();
    const onAbort = (): void => {
      this.shutDown();
    };
    const drained = new Promise<boolean>((resolve) => {
      this.#drainers.push((ok) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      });
    });
    if (signal?.aborted) this.shutDown();
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.#checkDrained();
    return drained;
  }

  /**
   * Reports work in progress to the optional metrics hooks. Meant to be called when metrics are
   * collected (a gauge's collect()), so the queue needs no timer of its own.
   */
  updateUnfinishedWork(): void {
    const now = this.#clock.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.#processing.values()) {
      const seconds = (now - startedAt) / 1000;
      total += seconds;
      longest = Math.max(longest, seconds);
    }
    this.#metrics?.unfinishedWork?.(this.name, total);
    this.#metrics?.longestRunningProcessor?.(this.name, longest);
  }

  /** Marks `item` as taken by a worker. Runs synchronously at hand-out, so no key goes twice. */
  #start(item: K): K {
    const now = this.#clock.now();
    this.#dirty.delete(item);
    this.#processing.set(item, now);
    const addedAt = this.#addedAt.get(item);
    this.#addedAt.delete(item);
    if (addedAt !== undefined) this.#metrics?.queueLatency(this.name, (now - addedAt) / 1000);
    this.#reportDepth();
    return item;
  }

  /** Serves waiting `get` calls from the queue. */
  #handOut(): void {
    while (this.#waiters.length > 0) {
      const item = this.#queue.shift();
      if (item === undefined) return;
      this.#waiters.shift()?.(this.#start(item));
    }
  }

  #idle(): boolean {
    return this.#queue.length === 0 && this.#processing.size === 0;
  }

  #checkDrained(): void {
    if (this.#state === 'draining' && this.#idle()) this.#stop(true);
  }

  #stop(drained: boolean): void {
    this.#state = 'stopped';
    this.#cancelDelayed();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    for (const drainer of this.#drainers.splice(0)) drainer(drained);
  }

  #cancelDelayed(): void {
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
  }

  #reportDepth(): void {
    this.#metrics?.depth(this.name, this.#dirty.size);
  }
}
