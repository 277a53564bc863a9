// A shared informer: one list+watch (Reflector) feeding one cache (Store), fanned out to any number
// of event handlers. Handlers get old and new objects; a handler added late first receives every
// cached object as an add, so it never misses state. Handler exceptions are logged, not fatal.
import type { Logger } from 'pino';
import type { KubeObject } from '../../kube/resource.ts';
import type { Clock, Timer } from '../clock.ts';
import type { KeyFunc } from './keys.ts';
import { objectKey } from './keys.ts';
import { Reflector } from './reflector.ts';
import type { ListerWatcher, ReflectorMetrics } from './reflector.ts';
import { Store } from './store.ts';
import type { IndexFunc, Lister } from './store.ts';
import { stripManagedFields } from './transform.ts';
import type { TransformFunc } from './transform.ts';

export interface DeleteInfo {
  /** The object vanished while we were not watching; `obj` is the last state we saw. */
  finalStateUnknown: boolean;
}

export interface EventHandler<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T, info: DeleteInfo): void;
}

export interface HandlerRegistration {
  remove(): void;
}

/** What controllers see of an informer; a kcp cluster-scoped view implements it too. */
export interface Informer<T extends KubeObject = KubeObject> {
  readonly resource: string;
  readonly lister: Lister<T>;
  hasSynced(): boolean;
  /** Resolves once the first list is cached; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  addEventHandler(handler: EventHandler<T>): HandlerRegistration;
  /** Adds an index; allowed before and after start. */
  addIndexer(name: string, fn: IndexFunc<T>): void;
}

export interface InformerOptions<T extends KubeObject> {
  resource: string;
  source: ListerWatcher<T>;
  clock: Clock;
  log: Logger;
  keyFunc?: KeyFunc;
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object as an update this often (0/undefined: never). */
  resyncMs?: number;
  metrics?: ReflectorMetrics;
  random?: () => number;
  minWatchTimeoutSeconds?: number;
  /** What the cache keeps of each object (default: all but metadata.managedFields). */
  transform?: TransformFunc<T>;
}

export class SharedInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly resource: string;
  readonly #o: InformerOptions<T>;
  readonly #store: Store<T>;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #syncWaiters = new Set<() => void>();
  #synced = false;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #resyncTimer: Timer | undefined;

  constructor(opts: InformerOptions<T>) {
    this.resource = opts.resource;
    this.#o = opts;
    this.#store = new Store<T>(
      opts.keyFunc ?? objectKey,
      opts.indexers ?? {},
      (index, key, err) => {
        opts.log.warn(
          { err, index, key, resource: opts.resource },
          'index function failed; object not indexed',
        );
      },
    );
  }

  get lister(): Lister<T> {
    return this.#store;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Starts list+watch; idempotent. */
  start(): void {
    if (this.#running) return;
    const abort = new AbortController();
    this.#abort = abort;
    const reflector = new Reflector<T>({
      ...this.#o,
      transform: this.#o.transform ?? stripManagedFields,
      sink: { replace: (items) => this.#replace(items), apply: (t, o) => this.#apply(t, o) },
    });
    this.#running = reflector.run(abort.signal);
    this.#scheduleResync();
  }

  /** Stops the watch and resolves once nothing of it (request, timer) remains. */
  async stop(): Promise<void> {
    this.#abort?.abort(new Error('informer stopped'));
    this.#resyncTimer?.cancel();
    this.#resyncTimer = undefined;
    await this.#running;
    this.#running = undefined;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#syncWaiters.delete(done);
        reject(signal?.reason as Error);
      };
      this.#syncWaiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  addEventHandler(handler: EventHandler<T>): HandlerRegistration {
    this.#handlers.add(handler);
    for (const obj of this.#store.list()) this.#call(() => handler.add?.(obj));
    return { remove: () => this.#handlers.delete(handler) };
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (!this.#store.hasIndex(name)) this.#store.addIndexer(name, fn);
  }

  #replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(this.#store.keyOf(obj));
      this.#upsert(obj);
    }
    for (const key of this.#store.keys()) {
      if (seen.has(key)) continue;
      const gone = this.#store.remove(key);
      if (gone) this.#emitDelete(gone, true);
    }
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of this.#syncWaiters) waiter();
      this.#syncWaiters.clear();
    }
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      const gone = this.#store.remove(this.#store.keyOf(obj));
      this.#emitDelete(gone ?? obj, false);
      return;
    }
    this.#upsert(obj);
  }

  #upsert(obj: T): void {
    const old = this.#store.upsert(obj);
    if (!old) {
      for (const h of this.#handlers) this.#call(() => h.add?.(obj));
      return;
    }
    // A relist returns unchanged objects too; only real changes are news.
    if (old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    for (const h of this.#handlers) this.#call(() => h.update?.(old, obj));
  }

  #emitDelete(obj: T, finalStateUnknown: boolean): void {
    for (const h of this.#handlers) this.#call(() => h.delete?.(obj, { finalStateUnknown }));
  }

  #scheduleResync(): void {
    const period = this.#o.resyncMs;
    if (!period || period <= 0) return;
    this.#resyncTimer = this.#o.clock.setTimer(period, () => {
      if (this.#synced) {
        for (const obj of this.#store.list()) {
          for (const h of this.#handlers) this.#call(() => h.update?.(obj, obj));
        }
      }
      if (this.#running) this.#scheduleResync();
    });
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#o.log.error({ err, resource: this.resource }, 'event handler threw');
    }
  }
}
