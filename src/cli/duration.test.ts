import { describe, expect, it } from 'vitest';
import { DurationError, parseGoDuration, parseGoDurationNanos } from './duration.ts';

describe('parseGoDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2h45m10s', 9_910_000],
    ['1m30.5s', 90_500],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['1.s', 1_000],
    ['500ms', 500],
    ['250us', 0.25],
    ['250\u00b5s', 0.25],
    ['250\u03bcs', 0.25],
    ['1000000ns', 1],
    ['1s500ms', 1_500],
    ['+10s', 10_000],
    ['0', 0],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('keeps nanoseconds exact and, like Go, truncates finer fractions', () => {
    expect(parseGoDurationNanos('1h')).toBe(3_600_000_000_000n);
    expect(parseGoDurationNanos('1.0000000009s')).toBe(1_000_000_000n);
    expect(parseGoDurationNanos('1.5ns')).toBe(1n);
  });

  it.each([
    ['', 'is empty'],
    ['+', 'is empty'],
    ['-5s', 'must not be negative'],
    ['5', 'has a number without a unit'],
    ['1h30', 'has a number without a unit'],
    ['1.2.3s', 'has a number without a unit'],
    ['5d', 'has an unknown unit "d"'],
    ['5S', 'has an unknown unit "S"'],
    ['1e3s', 'has an unknown unit "e"'],
    ['5 m', 'has an unknown unit " m"'],
    ['s', 'is not a duration'],
    ['.s', 'is not a duration'],
    [' 5s', 'is not a duration'],
    ['3000000h', 'is too large'],
  ])('rejects %j: %s', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(DurationError);
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it('accepts the largest Go duration and nothing above it', () => {
    expect(parseGoDurationNanos('9223372036854775807ns')).toBe(2n ** 63n - 1n);
    expect(() => parseGoDuration('9223372036854775808ns')).toThrow('is too large');
  });
});
