// The list+watch loop behind an informer. It lists (paged), then watches from the list's
// resourceVersion with bookmarks, resumes from the last resourceVersion after any interruption,
// and lists again only when the server says that version is gone (410 Expired). It never gives up:
// every failure is logged, counted, and retried with capped backoff until the signal aborts.
import type { Logger } from 'pino';
import type { WatchEvent } from '../../kube/client.ts';
import { apiErrorFrom, GoneError } from '../../kube/errors.ts';
import type { StatusBody } from '../../kube/errors.ts';
import type { KubeObject, WatchOptions } from '../../kube/resource.ts';
import { Backoff } from '../backoff.ts';
import type { Clock } from '../clock.ts';
import type { TransformFunc } from './transform.ts';

/** Where objects come from: a ResourceClient (possibly a kcp wildcard one) fits. */
export interface ListerWatcher<T extends KubeObject> {
  listAll(opts: {
    labelSelector?: string;
    fieldSelector?: string;
    signal?: AbortSignal;
  }): Promise<{ items: T[]; resourceVersion: string }>;
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

export interface ReflectorSink<T> {
  /** A full list: the cache becomes exactly `items`. */
  replace(items: T[]): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

export type RestartReason = 'expired' | 'error' | 'closed';

export interface ReflectorMetrics {
  watchRestart(resource: string, reason: RestartReason): void;
  list(resource: string): void;
}

export interface ReflectorOptions<T extends KubeObject> {
  /** Label for logs and metrics, e.g. `configmaps`. */
  resource: string;
  source: ListerWatcher<T>;
  sink: ReflectorSink<T>;
  clock: Clock;
  log: Logger;
  labelSelector?: string;
  fieldSelector?: string;
  metrics?: ReflectorMetrics;
  random?: () => number;
  /** Watches last a random time in [min, 2·min) seconds, then the server closes them. */
  minWatchTimeoutSeconds?: number;
  /** Applied to every listed or watched object before the sink sees it (default: none). */
  transform?: TransformFunc<T>;
}

/** A watch that ends cleanly faster than this counts as a failure (guards against hot loops). */
const shortWatchMs = 1000;

export class Reflector<T extends KubeObject> {
  readonly #o: ReflectorOptions<T>;
  readonly #backoff: Backoff;
  #resourceVersion: string | undefined;

  constructor(opts: ReflectorOptions<T>) {
    this.#o = opts;
    this.#backoff = new Backoff({
      initialMs: 800,
      maxMs: 30_000,
      jitter: 1,
      ...(opts.random && { random: opts.random }),
    });
  }

  /** Runs until `signal` aborts; resolves then, never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let reason: RestartReason;
      try {
        if (this.#resourceVersion === undefined) await this.#list(signal);
        reason = await this.#watch(signal);
      } catch (err) {
        if (isAborted(signal)) break;
        reason = this.#classify(err);
      }
      this.#o.metrics?.watchRestart(this.#o.resource, reason);
      if (reason === 'expired') {
        // The server compacted past our version: list again at once (nothing to back off from).
        this.#o.log.info({ resource: this.#o.resource }, 'resource version expired, relisting');
        this.#resourceVersion = undefined;
        continue;
      }
      if (reason === 'closed') continue;
      await this.#o.clock.sleep(this.#backoff.next(), signal).catch(() => undefined);
    }
  }

  #classify(err: unknown): RestartReason {
    if (err instanceof GoneError) return 'expired';
    this.#o.log.warn(
      { resource: this.#o.resource, err, resourceVersion: this.#resourceVersion },
      'list/watch failed, retrying',
    );
    return 'error';
  }

  async #list(signal: AbortSignal): Promise<void> {
    const { source, labelSelector, fieldSelector } = this.#o;
    this.#o.metrics?.list(this.#o.resource);
    const { items, resourceVersion } = await source.listAll({
      ...(labelSelector !== undefined && { labelSelector }),
      ...(fieldSelector !== undefined && { fieldSelector }),
      signal,
    });
    const transform = this.#o.transform;
    this.#o.sink.replace(transform ? items.map((obj) => transform(obj)) : items);
    this.#resourceVersion = resourceVersion;
    this.#backoff.reset();
  }

  /** Watches until the stream ends; 'closed' means a normal end that can resume at once. */
  async #watch(signal: AbortSignal): Promise<RestartReason> {
    const { source, labelSelector, fieldSelector, clock } = this.#o;
    const min = this.#o.minWatchTimeoutSeconds ?? 300;
    const started = clock.now();
    let events = 0;
    const stream = source.watch({
      resourceVersion: this.#resourceVersion ?? '',
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(min * (1 + (this.#o.random ?? Math.random)())),
      ...(labelSelector !== undefined && { labelSelector }),
      ...(fieldSelector !== undefined && { fieldSelector }),
      signal,
    });
    for await (const event of stream) {
      events++;
      this.#handle(event);
    }
    if (events > 0 || clock.now() - started >= shortWatchMs) {
      this.#backoff.reset();
      return 'closed';
    }
    this.#o.log.warn({ resource: this.#o.resource }, 'watch closed immediately, backing off');
    return 'error';
  }

  #handle(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as StatusBody;
      throw apiErrorFrom('WATCH', this.#o.resource, status.code ?? 500, {
        kind: 'Status',
        ...status,
      });
    }
    const rv = event.object.metadata?.resourceVersion;
    if (event.type !== 'BOOKMARK') {
      const transform = this.#o.transform;
      this.#o.sink.apply(event.type, transform ? transform(event.object) : event.object);
    }
    if (rv) this.#resourceVersion = rv;
  }
}

/** Read through a call: the compiler narrows `signal.aborted` to false inside the loop above. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
