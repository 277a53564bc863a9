/** `v` with `digits` decimals, or `-` when it is not a finite number. */
export const fmt = (v: number, digits = 1): string =>
  Number.isFinite(v) ? v.toFixed(digits) : '-';
export const s = (v: number): string => `${fmt(v, 2)} s`;
export const mib = (v: number): string => `${fmt(v, 1)} MiB`;
export const kib = (v: number): string => `${fmt(v * 1024, 0)} KiB`;
