// Flag value rules every command shares: the error a converter throws, and Go durations. A
// converter turns the raw flag text into its typed value or throws a ValueError that says what is
// allowed; the reader adds the flag name and the raw text.
import { DurationError, parseGoDuration } from './duration.ts';

export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** A Go duration in milliseconds, at least `minMs` (`minText` says it in Go syntax). */
export function duration(minMs: number, minText: string): (raw: string) => number {
  return (raw) => {
    const ms = goDuration(raw);
    if (ms < minMs) throw new ValueError(`want at least ${minText}`);
    return ms;
  };
}

/** A Go duration in milliseconds, more than zero. */
export function positiveDuration(raw: string): number {
  const ms = goDuration(raw);
  if (ms <= 0) throw new ValueError('want more than 0s');
  return ms;
}

function goDuration(raw: string): number {
  try {
    return parseGoDuration(raw);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new ValueError(`${err.message} (want a Go duration like 30s, 5m or 1h30m)`);
  }
}
