/**
 * The nearest-rank percentile of ascending `sorted`: the smallest value with at least a `q`
 * (0..1) share of the values at or below it, so p99 of 100 samples is the 99th, not the largest.
 * NaN when there are none.
 */
export function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** `values` in ascending order, as a new array (percentile wants them so). */
export const ascending = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);
