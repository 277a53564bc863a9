import { describe, expect, it } from 'vitest';
import { expiry } from './finished-ttl.ts';

const since = '2025-01-01T00:00:00Z';
const start = Date.parse(since);

describe('expiry', () => {
  it('keeps what has no TTL or no start time', () => {
    expect(expiry(since, undefined, start + 1e12)).toEqual({ kind: 'keep' });
    expect(expiry(undefined, 1000, start)).toEqual({ kind: 'keep' });
    expect(expiry('not a time', 1000, start)).toEqual({ kind: 'keep' });
  });

  it('waits for what is left of the TTL', () => {
    expect(expiry(since, 60_000, start + 15_000)).toEqual({ kind: 'wait', afterMs: 45_000 });
  });

  it('deletes when the TTL ends, and after', () => {
    expect(expiry(since, 60_000, start + 60_000)).toEqual({ kind: 'delete' });
    expect(expiry(since, 0, start)).toEqual({ kind: 'delete' });
  });
});
