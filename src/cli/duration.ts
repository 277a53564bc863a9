// Go's duration syntax (time.ParseDuration), because operators copy upstream's flag values
// (`--schema-sync-interval=1h30m`) unchanged. Negative durations are refused: every duration flag
// of the backend is an interval or a timeout, where a negative value can only be a typo.

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

/** Go's limit: a time.Duration is an int64 of nanoseconds. */
const maxNanos = 2n ** 63n - 1n;

/** One `<number><unit>` part: digits, an optional fraction, then everything up to the next digit. */
const partPattern = /(\d*)(?:\.(\d*))?([^\d.]*)/y;

/** The text is not a (non-negative) Go duration; the message says why, without the text. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Parses e.g. `30s`, `1h30m`, `1m30.5s` or `500ms` into milliseconds (fractions kept). */
export function parseGoDuration(text: string): number {
  return Number(parseGoDurationNanos(text)) / 1e6;
}

/** Parses a Go duration into exact nanoseconds. */
export function parseGoDurationNanos(text: string): bigint {
  if (text.startsWith('-')) throw new DurationError('must not be negative');
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '') throw new DurationError('is empty');
  // Go's one unit-less special case.
  if (body === '0') return 0n;
  let total = 0n;
  partPattern.lastIndex = 0;
  while (partPattern.lastIndex < body.length) {
    total += parsePart(body);
    if (total > maxNanos) throw new DurationError('is too large');
  }
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
  // Like Go, a fraction finer than a nanosecond is truncated.
  const scale = 10n ** BigInt(fraction.length);
  return BigInt(whole || '0') * perUnit + (BigInt(fraction || '0') * perUnit) / scale;
}
