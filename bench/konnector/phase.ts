// One measured phase: calls made with bounded concurrency, arrivals stamped by a watch.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject, ResourceClient } from '../../src/kube/resource.ts';
import { forEachBounded } from '../lib/concurrency.ts';
import { concurrency, nameOf, names, objects, syncTimeoutMs } from './config.ts';

/**
 * Watches `resource` from `resourceVersion` and stamps, per name, when an event first shows
 * `arrived(object)`: arrival times come from the watch, not from polling.
 */
export function watchArrivals<T extends KubeObject>(
  resource: ResourceClient<T>,
  resourceVersion: string,
  arrived: (c: T) => boolean,
  expected: readonly string[] = names,
) {
  const at = new Map<string, number>();
  const abort = new AbortController();
  let failure: Error | undefined;
  let rv = resourceVersion;
  const loop = (async () => {
    // The server may end a watch; resume from the last resourceVersion seen.
    while (!abort.signal.aborted) {
      const events = resource.watch({
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 600,
        signal: abort.signal,
      });
      for await (const ev of events) {
        const now = performance.now();
        if (ev.type === 'ERROR') throw new Error(`watch failed: ${JSON.stringify(ev.object)}`);
        rv = ev.object.metadata?.resourceVersion ?? rv;
        const name = ev.object.metadata?.name ?? '';
        if (ev.type !== 'BOOKMARK' && !at.has(name) && arrived(ev.object)) at.set(name, now);
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    at,
    /** Resolves once every name has arrived; fails with the missing ones after `timeoutMs`. */
    async all(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (expected.some((n) => !at.has(n))) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          const missing = expected.filter((n) => !at.has(n));
          throw new Error(
            `${missing.length} objects did not arrive in ${timeoutMs / 1000}s, e.g. ${missing.slice(0, 5).join(', ')}`,
          );
        }
        await sleep(20); // only the local map is polled; the stamps come from the watch
      }
    },
    async stop(): Promise<void> {
      abort.abort();
      await loop;
    },
  };
}

export interface PhaseResult {
  /** Per object, arrival minus the driver's call returning, ascending (ms). */
  latencies: number[];
  /** From the first call until the last arrival (ms). */
  allArrivedMs: number;
  /** From the first call until the driver's last call returned (ms). */
  callsMs: number;
}

/**
 * Issues `call(name)` for every object (bounded concurrency), stamping its return, while
 * `watched` is watched for `arrived`; returns the latencies.
 */
export async function measurePhase<T extends KubeObject>(
  watched: ResourceClient<T>,
  arrived: (c: T) => boolean,
  call: (name: string, i: number) => Promise<unknown>,
  /** The name that arrives for object i, when the watched object is not named after the call's. */
  arrivingAs: (i: number) => string = nameOf,
  count = objects,
  limit = concurrency,
): Promise<PhaseResult> {
  const expected = Array.from({ length: count }, (_, i) => arrivingAs(i));
  const list = await watched.list({ limit: 1 });
  const arrivals = watchArrivals(watched, list.metadata?.resourceVersion ?? '', arrived, expected);
  const returned = new Map<string, number>();
  const started = performance.now();
  try {
    await forEachBounded(count, limit, async (i) => {
      await call(nameOf(i), i);
      returned.set(arrivingAs(i), performance.now());
    });
    const callsMs = performance.now() - started;
    await arrivals.all(syncTimeoutMs);
    const latencies = expected
      .map((n) => (arrivals.at.get(n) ?? NaN) - (returned.get(n) ?? NaN))
      .sort((a, b) => a - b);
    const last = [...arrivals.at.values()].reduce((a, b) => Math.max(a, b), -Infinity);
    return { latencies, allArrivedMs: last - started, callsMs };
  } finally {
    // Closed before the next scrape, so the apiserver has counted this watch by then.
    await arrivals.stop();
  }
}
