import { describe, expect, it } from 'vitest';
import { deepFreeze, derivedOnce } from './frozen.ts';

describe('deepFreeze', () => {
  it('freezes every level of objects and arrays, and leaves primitives alone', () => {
    const value = { a: { b: [{ c: 1 }] }, s: 'x' };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
    expect(() => {
      (value.a.b[0] as { c: number }).c = 2;
    }).toThrow(TypeError);
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
  });
});

describe('derivedOnce', () => {
  it('derives once per key object and variant, and freezes key and result', () => {
    let calls = 0;
    const label = derivedOnce((key: { n: number }, variant: 'a' | 'b') => {
      calls++;
      return { text: `${variant}${key.n}` };
    });
    const key = { n: 1 };
    const first = label(key, 'a');
    expect(first).toEqual({ text: 'a1' });
    expect(label(key, 'a')).toBe(first);
    expect(calls).toBe(1);
    expect(label(key, 'b')).toEqual({ text: 'b1' });
    expect(label({ n: 1 }, 'a')).not.toBe(first); // by identity, not by content
    expect(calls).toBe(3);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      key.n = 2;
    }).toThrow(TypeError);
  });

  it('takes no variant when the derivation has none', () => {
    const size = derivedOnce((key: number[]) => key.length);
    const key = [1, 2];
    expect(size(key)).toBe(2);
    expect(Object.isFrozen(key)).toBe(true);
  });
});
