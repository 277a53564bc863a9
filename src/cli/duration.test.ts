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

// The examples of Go's own time.ParseDuration tests: the one parser must read them as Go does.
describe('parseGoDurationNanos (Go time.ParseDuration)', () => {
  const [ns, us, ms, s, m, h] = [
    1n,
    1_000n,
    1_000_000n,
    1_000_000_000n,
    60n * 10n ** 9n,
    3_600n * 10n ** 9n,
  ];

  it.each<[string, bigint]>([
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['5s', 5n * s],
    ['-5s', -5n * s],
    ['-1s', -s],
    ['+5s', 5n * s],
    ['5.0s', 5n * s],
    ['5.6s', 5n * s + 600n * ms],
    ['5.s', 5n * s],
    ['.5s', 500n * ms],
    ['1.004s', s + 4n * ms],
    ['100.00100s', 100n * s + ms],
    ['10ns', 10n * ns],
    ['11us', 11n * us],
    ['12\u00b5s', 12n * us],
    ['12\u03bcs', 12n * us],
    ['300ms', 300n * ms],
    ['16h', 16n * h],
    ['1000h', 1000n * h],
    ['1h30m', h + 30n * m],
    ['1.5h', h + 30n * m],
    ['2h45m', 2n * h + 45n * m],
    ['10.5s4m', 4n * m + 10n * s + 500n * ms],
    ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
    ['1h2m3s4ms5us6ns', h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns],
    ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
    ['52763797000ns', 52_763_797_000n],
    ['0.3333333333333333333h', 20n * m],
    ['9007199254740993ns', 2n ** 53n + 1n],
    ['9223372036854775807ns', 2n ** 63n - 1n],
    ['9223372036854775.807us', 2n ** 63n - 1n],
    ['9223372036s854ms775us807ns', 2n ** 63n - 1n],
    ['-9223372036854775808ns', -(2n ** 63n)],
    ['-9223372036s854ms775us808ns', -(2n ** 63n)],
    ['-2562047h47m16.854775808s', -(2n ** 63n)],
    ['0.100000000000000000000h', 6n * m],
    ['0.830103483285477580700h', 49n * m + 48n * s + 372_539_827n],
  ])('reads %s', (text, nanos) => {
    expect(parseGoDurationNanos(text)).toBe(nanos);
  });

  it.each([
    '',
    '1',
    '3',
    '-',
    's',
    '.',
    '-.',
    '.s',
    '+.s',
    '1d',
    '\x85\x85',
    '\xffff',
    'hello \xffff world',
    '9223372036854775808ns',
    '9223372036854775.808us',
    '9223372036854ms775us808ns',
    '-9223372036854775809ns',
  ])('rejects %j', (text) => {
    expect(() => parseGoDurationNanos(text)).toThrow(DurationError);
  });

  it('refuses a negative flag value but reads 1000h, which the plugin once refused', () => {
    expect(() => parseGoDuration('-1s')).toThrow('must not be negative');
    expect(parseGoDuration('1000h')).toBe(3_600_000_000);
  });
});
