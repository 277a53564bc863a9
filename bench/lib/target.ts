/**
 * A figure beside its target, as the benchmark tables print it: `118 MiB (target ≤ 128 MiB, met)`.
 * Lower is better for every target here.
 */
export function againstTarget(value: number, target: number, unit: string, digits = 0): string {
  const verdict = value <= target ? 'met' : `missed by ${(value / target).toFixed(2)}×`;
  return `${value.toFixed(digits)} ${unit} (target ≤ ${target} ${unit}, ${verdict})`;
}
