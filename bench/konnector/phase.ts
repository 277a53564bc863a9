// One measured phase: calls made with bounded concurrency, arrivals stamped by a watch.
import type { KubeObject, ResourceClient } from '../../src/kube/resource.ts';
import { forEachBounded } from '../lib/concurrency.ts';
import { watchArrivals } from '../lib/arrivals.ts';
import { concurrency, nameOf, objects, syncTimeoutMs } from './config.ts';

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
