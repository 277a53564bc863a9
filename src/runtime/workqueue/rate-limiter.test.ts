import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.ts';
import {
  defaultControllerRateLimiter,
  itemExponentialLimiter,
  maxOfLimiters,
  tokenBucketLimiter,
  type RateLimiter,
} from './rate-limiter.ts';

/** Calls `when` n times for `item`, returning the delays. */
function delays<K>(limiter: RateLimiter<K>, item: K, n: number): number[] {
  return Array.from({ length: n }, () => limiter.when(item));
}

describe('itemExponentialLimiter', () => {
  it('doubles from the base per failure of a key', () => {
    const limiter = itemExponentialLimiter<string>();
    expect(delays(limiter, 'a', 5)).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.retries('a')).toBe(5);
  });

  it('keeps keys apart', () => {
    const limiter = itemExponentialLimiter<string>({ baseMs: 1 });
    delays(limiter, 'a', 3);
    expect(limiter.when('b')).toBe(1);
    expect(limiter.retries('a')).toBe(3);
    expect(limiter.retries('b')).toBe(1);
  });

  it('caps at the maximum, however many failures', () => {
    const limiter = itemExponentialLimiter<string>({ baseMs: 1, maxMs: 10 });
    expect(delays(limiter, 'a', 6)).toEqual([1, 2, 4, 8, 10, 10]);
    delays(limiter, 'a', 2000);
    expect(limiter.when('a')).toBe(10);
  });

  it('stays a number with a zero base after very many failures', () => {
    const limiter = itemExponentialLimiter<string>({ baseMs: 0, maxMs: 10 });
    delays(limiter, 'a', 2000);
    expect(limiter.when('a')).toBe(0);
  });

  it('starts over after forget', () => {
    const limiter = itemExponentialLimiter<string>();
    delays(limiter, 'a', 4);
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });
});

describe('tokenBucketLimiter', () => {
  it('lets a burst through, then queues callers at qps', () => {
    const clock = new FakeClock();
    const limiter = tokenBucketLimiter<string>({ qps: 2, burst: 3, clock });
    expect(delays(limiter, 'a', 5)).toEqual([0, 0, 0, 500, 1000]);
  });

  it('refills at qps, paying off reservations first', async () => {
    const clock = new FakeClock();
    const limiter = tokenBucketLimiter<string>({ qps: 2, burst: 3, clock });
    delays(limiter, 'a', 5); // two tokens in debt
    await clock.advance(1000); // two tokens back: even
    expect(limiter.when('a')).toBe(500);
    await clock.advance(1000); // one in debt, plus two
    expect(limiter.when('a')).toBe(0);
    expect(limiter.when('a')).toBe(500);
  });

  it('admits one call per 1/qps when paced', async () => {
    const clock = new FakeClock();
    const limiter = tokenBucketLimiter<string>({ qps: 10, burst: 1, clock });
    const got: number[] = [];
    for (let i = 0; i < 5; i++) {
      got.push(limiter.when('a'));
      await clock.advance(100);
    }
    expect(got).toEqual([0, 0, 0, 0, 0]);
  });

  it('never holds more than the burst', async () => {
    const clock = new FakeClock();
    const limiter = tokenBucketLimiter<string>({ qps: 10, burst: 2, clock });
    await clock.advance(3_600_000);
    expect(delays(limiter, 'a', 3)).toEqual([0, 0, 100]);
  });

  it('is shared by all keys and has no per-key state', () => {
    const clock = new FakeClock();
    const limiter = tokenBucketLimiter<string>({ qps: 10, burst: 1, clock });
    expect(limiter.when('a')).toBe(0);
    expect(limiter.when('b')).toBe(100);
    limiter.forget('b');
    expect(limiter.retries('b')).toBe(0);
    expect(limiter.when('c')).toBe(200);
  });

  it('rejects settings that can never admit a call', () => {
    const clock = new FakeClock();
    expect(() => tokenBucketLimiter({ qps: 0, clock })).toThrow(RangeError);
    expect(() => tokenBucketLimiter({ burst: 0, clock })).toThrow(RangeError);
  });
});

describe('maxOfLimiters', () => {
  /** A limiter with a fixed delay that records what it was asked. */
  function fixed(ms: number): RateLimiter<string> & { asked: string[]; forgot: string[] } {
    const asked: string[] = [];
    const forgot: string[] = [];
    return {
      asked,
      forgot,
      when(item) {
        asked.push(item);
        return ms;
      },
      forget(item) {
        forgot.push(item);
      },
      retries: (item) => asked.filter((a) => a === item).length,
    };
  }

  it('returns the longest delay and asks every limiter', () => {
    const slow = fixed(30);
    const fast = fixed(7);
    const limiter = maxOfLimiters(fast, slow);
    expect(limiter.when('a')).toBe(30);
    expect(slow.asked).toEqual(['a']);
    expect(fast.asked).toEqual(['a']);
  });

  it('lets the exponential limiter overtake a fixed one', () => {
    const limiter = maxOfLimiters(itemExponentialLimiter<string>({ baseMs: 5 }), fixed(15));
    expect(delays(limiter, 'a', 4)).toEqual([15, 15, 20, 40]);
  });

  it('forgets in every limiter and reports the most retries', () => {
    const exp = itemExponentialLimiter<string>();
    const other = fixed(0);
    const limiter = maxOfLimiters<string>(exp, other);
    delays(limiter, 'a', 3);
    other.asked.push('a'); // the other limiter saw one more
    expect(limiter.retries('a')).toBe(4);
    limiter.forget('a');
    expect(exp.retries('a')).toBe(0);
    expect(other.forgot).toEqual(['a']);
  });

  it('delays nothing when empty', () => {
    expect(maxOfLimiters<string>().when('a')).toBe(0);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs off per key and bounds the overall rate at 10 qps after a burst of 100', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>(clock);
    expect(delays(limiter, 'a', 3)).toEqual([5, 10, 20]);
    for (let i = 0; i < 97; i++) expect(limiter.when(`k${i}`)).toBe(5);
    expect(limiter.when('late')).toBe(100); // the 101st call waits for the bucket
    expect(limiter.retries('a')).toBe(3);
  });

  it('caps per-key backoff at 1000 s', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>(clock);
    const got = delays(limiter, 'a', 30);
    expect(got.slice(16, 20)).toEqual([5 * 2 ** 16, 5 * 2 ** 17, 1_000_000, 1_000_000]);
    expect(got.at(-1)).toBe(1_000_000);
  });
});
