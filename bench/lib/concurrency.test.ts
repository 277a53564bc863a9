import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { forEachBounded } from './concurrency.ts';

describe('forEachBounded', () => {
  it('calls every index once, never more than the limit at a time', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;
    await forEachBounded(20, 3, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(1);
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('starts no more workers than there is work', async () => {
    let inFlight = 0;
    let most = 0;
    await forEachBounded(2, 10, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(1);
      inFlight--;
    });
    expect(most).toBe(2);
  });

  it('does nothing for no work', async () => {
    let calls = 0;
    await forEachBounded(0, 4, () => {
      calls++;
      return Promise.resolve();
    });
    expect(calls).toBe(0);
  });

  it('rejects with the first failure and starts no further calls', async () => {
    const started: number[] = [];
    const run = forEachBounded(100, 2, async (i) => {
      started.push(i);
      await sleep(1);
      if (i === 3) throw new Error('index 3 failed');
    });
    await expect(run).rejects.toThrow('index 3 failed');
    await sleep(10);
    // Index 3 and the one call beside it in flight; nothing after them.
    expect(Math.max(...started)).toBeLessThanOrEqual(5);
  });
});
