/**
 * `200` → 50 and 200 (a quarter first, for the scaling); a list, i.e. anything with a comma
 * (`50,200,1000`, or `1000,` for that point alone) → exactly those, ascending.
 */
export function clusterPoints(spec: string): number[] {
  const list = spec
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  if (list.length === 0) throw new Error(`KBT_BENCH_CLUSTERS: no cluster counts in "${spec}"`);
  const [only] = list;
  if (!spec.includes(',') && only !== undefined && only >= 8) list.unshift(Math.round(only / 4));
  return [...new Set(list)].sort((a, b) => a - b);
}
