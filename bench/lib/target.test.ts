import { describe, expect, it } from 'vitest';
import { againstTarget } from './target.ts';

describe('againstTarget', () => {
  it('says a figure at or under its target is met', () => {
    expect(againstTarget(128, 128, 'MiB')).toBe('128 MiB (target ≤ 128 MiB, met)');
    expect(againstTarget(0.118, 0.25, 's', 3)).toBe('0.118 s (target ≤ 0.25 s, met)');
  });

  it('says by how much a figure over its target misses', () => {
    expect(againstTarget(301, 128, 'MiB')).toBe('301 MiB (target ≤ 128 MiB, missed by 2.35×)');
  });
});
