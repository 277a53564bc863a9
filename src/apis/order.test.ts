import { describe, expect, it } from 'vitest';
import { byCodeUnits } from './order.ts';

describe('byCodeUnits', () => {
  it('orders as Go sorts strings: upper case before lower case, shorter prefix first', () => {
    expect(['b', 'a-b', 'B', 'a', 'ab', 'a.b'].sort(byCodeUnits)).toEqual([
      'B',
      'a',
      'a-b',
      'a.b',
      'ab',
      'b',
    ]);
    expect(byCodeUnits('x', 'x')).toBe(0);
  });
});
