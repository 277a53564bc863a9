import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dnsLabelError, isDnsLabel, suggestLabel } from './dns.ts';

describe('DNS-1123 labels', () => {
  it('accepts valid labels', () => {
    for (const name of ['a', 'my-cowboys', '0abc', 'a'.repeat(63), 'x1-2-3']) {
      expect(dnsLabelError(name)).toBeUndefined();
    }
  });

  it('rejects invalid labels with a reason', () => {
    expect(dnsLabelError('')).toMatch(/required/);
    expect(dnsLabelError('a'.repeat(64))).toMatch(/at most 63/);
    for (const name of ['My-Cowboys', '-a', 'a-', 'a.b', 'a_b', 'ä', 'a b']) {
      expect(dnsLabelError(name), name).toMatch(/lower-case/);
    }
  });

  it('suggests a valid label from any text', () => {
    expect(suggestLabel('Cowboys.wildwest.dev')).toBe('cowboys-wildwest-dev');
    expect(suggestLabel('---')).toBe('binding');
    fc.assert(fc.property(fc.string(), (s) => isDnsLabel(suggestLabel(s))));
  });
});
