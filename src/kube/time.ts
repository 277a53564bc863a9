// Kubernetes timestamps. `Time` has second precision; `MicroTime` (Lease acquireTime/renewTime,
// Event eventTime) must carry exactly six fractional digits — the API server rejects the three
// that Date.toISOString() produces (kubernetes-client/javascript#828).

/** RFC 3339 with microseconds, e.g. `2026-11-21T10:04:05.123000Z`. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** RFC 3339 to the second, e.g. `2026-11-21T10:04:05Z`. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds since the epoch of a Time or MicroTime string, or undefined when unparsable. */
export function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
