import { describe, expect, it } from 'vitest';
import { formatMicroTime, formatTime, parseTime } from './time.ts';

describe('timestamps', () => {
  const at = Date.UTC(2026, 10, 21, 10, 4, 5, 123);

  it('writes MicroTime with exactly six fractional digits', () => {
    expect(formatMicroTime(at)).toBe('2026-11-21T10:04:05.123000Z');
    expect(formatMicroTime(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('writes Time to the second', () => {
    expect(formatTime(at)).toBe('2026-11-21T10:04:05Z');
  });

  it('reads both forms back', () => {
    expect(parseTime(formatMicroTime(at))).toBe(at);
    expect(parseTime(formatTime(at))).toBe(at - 123);
    expect(parseTime('2026-11-21T10:04:05.123456Z')).toBe(at);
    expect(parseTime('not a time')).toBeUndefined();
    expect(parseTime(undefined)).toBeUndefined();
  });
});
