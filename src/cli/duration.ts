// Go's duration syntax, because operators and users copy upstream's flag values
// (`--schema-sync-interval=1h30m`, `kubectl bind login --timeout 2m`) unchanged. The one parser of
// every program: parseGoDurationNanos is time.ParseDuration (signed, int64 nanoseconds, the same
// rounding of fractions); parseGoDuration is the form flags use, where a negative interval or
// timeout can only be a typo.

/** Nanoseconds per unit; Go accepts both micro signs (U+00B5 and U+03BC). */
const nanosPerUnit: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** A time.Duration is an int64 of nanoseconds: the magnitude may reach 2^63 when negative. */
const limit = 2n ** 63n;

/** One `<number><unit>` part: digits, an optional fraction, then everything up to the next digit. */
const partPattern = /(\d*)(?:\.(\d*))?([^\d.]*)/y;

/** The text is not a Go duration (or, for flags, is negative); the message says why, without the text. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** A flag's duration, e.g. `30s`, `1h30m`, `1000h` or `500ms`, in milliseconds (fractions kept). */
export function parseGoDuration(text: string): number {
  // Refused before parsing, so `-0s` is refused too: a minus sign is the typo.
  if (text.startsWith('-')) throw new DurationError('must not be negative');
  return Number(parseGoDurationNanos(text)) / 1e6;
}

/** Go's time.ParseDuration: exact nanoseconds, negative allowed, from -2^63 to 2^63-1. */
export function parseGoDurationNanos(text: string): bigint {
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  if (body === '') throw new DurationError('is empty');
  // Go's one unit-less special case.
  if (body === '0') return 0n;
  let total = 0n;
  partPattern.lastIndex = 0;
  while (partPattern.lastIndex < body.length) {
    total += parsePart(body);
    if (total > limit) throw new DurationError('is too large');
  }
  if (negative) return -total;
  if (total === limit) throw new DurationError('is too large');
  return total;
}

/** Consumes one part at partPattern.lastIndex and returns its nanoseconds. */
function parsePart(body: string): bigint {
  const match = partPattern.exec(body);
  const whole = match?.[1] ?? '';
  const fraction = match?.[2] ?? '';
  const unit = match?.[3] ?? '';
  if (whole === '' && fraction === '') throw new DurationError('is not a duration');
  if (unit === '') throw new DurationError('has a number without a unit');
  const perUnit = nanosPerUnit.get(unit);
  if (perUnit === undefined) throw new DurationError(`has an unknown unit "${unit}"`);
  const nanos = BigInt(whole || '0') * perUnit;
  if (nanos > limit) throw new DurationError('is too large');
  return nanos + fractionNanos(fraction, perUnit);
}

/**
 * Go's arithmetic for the fraction, to the nanosecond: the digits that fit an int64 (the rest is
 * ignored), times the unit over the scale in float64, truncated. `0.3333333333333333333h` is
 * exactly 20m in Go, where exact arithmetic would give 1ns less.
 */
function fractionNanos(fraction: string, perUnit: bigint): bigint {
  let digits = 0n;
  let scale = 1;
  for (const char of fraction) {
    const next = digits * 10n + BigInt(char);
    if (digits > (limit - 1n) / 10n || next > limit) break;
    digits = next;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(digits) * (Number(perUnit) / scale)));
}
