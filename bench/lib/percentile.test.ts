import { describe, expect, it } from 'vitest';
import { ascending, percentile } from './percentile.ts';

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes the nearest rank', () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 1)).toBe(100);
  });

  it('rounds the rank up between samples', () => {
    expect(percentile([10, 20, 30], 0.5)).toBe(20);
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(20);
    expect(percentile([10, 20, 30, 40], 0.51)).toBe(30);
  });

  it('keeps within the samples at both ends', () => {
    expect(percentile([7, 8], 0)).toBe(7);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('ascending', () => {
  it('sorts numbers by value, not as strings, without touching its input', () => {
    const input = [10, 9, 100, 1];
    expect(ascending(input)).toEqual([1, 9, 10, 100]);
    expect(input).toEqual([10, 9, 100, 1]);
  });
});
