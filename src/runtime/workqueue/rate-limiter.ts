// Rate limiters decide how long a key waits before its next retry. The queue asks `when` each time
// a reconcile fails and the controller calls `forget` once one succeeds, so per-key state lives
// only as long as the key keeps failing.
import type { Clock } from '../clock.ts';

export interface RateLimiter<K> {
  /** Delay in ms before `item` may be retried; counts as one more failure of `item`. */
  when(item: K): number;
  /** Clears the failure history of `item` (after a successful reconcile). */
  forget(item: K): void;
  /** Failures recorded for `item` since the last `forget`. */
  retries(item: K): number;
}

export interface ItemExponentialOptions {
  /** Delay after the first failure. */
  baseMs?: number;
  /** Ceiling for the delay, however often the key failed. */
  maxMs?: number;
}

/** Per key: `baseMs * 2^failures`, capped at `maxMs`. */
export function itemExponentialLimiter<K>({
  baseMs = 5,
  maxMs = 1_000_000,
}: ItemExponentialOptions = {}): RateLimiter<K> {
  const failures = new Map<K, number>();
  return {
    when(item) {
      const n = failures.get(item) ?? 0;
      failures.set(item, n + 1);
      // Bounding the exponent keeps `2 ** n` finite (0 * Infinity would be NaN); any practical
      // cap is reached long before 2^64.
      return Math.min(baseMs * 2 ** Math.min(n, 64), maxMs);
    },
    forget(item) {
      failures.delete(item);
    },
    retries: (item) => failures.get(item) ?? 0,
  };
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps?: number;
  /** Bucket size: how many calls pass without delay after a quiet period. */
  burst?: number;
  clock: Clock;
}

/**
 * One bucket shared by all keys, bounding the overall retry rate. Like Go's `rate.Limiter.Reserve`,
 * every call takes a token, going into debt when the bucket is empty, and is told how long to wait
 * until its token exists; so callers queue up at `qps` rather than being refused.
 */
export function tokenBucketLimiter<K>({
  qps = 10,
  burst = 100,
  clock,
}: TokenBucketOptions): RateLimiter<K> {
  if (!(qps > 0) || !(burst >= 1)) {
    throw new RangeError(`token bucket needs qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
  }
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      // A clock that steps back refills nothing rather than draining the bucket.
      tokens = Math.min(burst, tokens + (Math.max(0, now - last) * qps) / 1000);
      last = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens * 1000) / qps;
    },
    forget() {
      // The bucket is shared: there is nothing per key to forget.
    },
    retries: () => 0,
  };
}

/** Combines limiters: the longest delay wins; every limiter records every failure. */
export function maxOfLimiters<K>(...limiters: RateLimiter<K>[]): RateLimiter<K> {
  return {
    // map() asks every limiter, so each one counts the failure even when another dominates.
    when: (item) => Math.max(0, ...limiters.map((l) => l.when(item))),
    forget(item) {
      for (const l of limiters) l.forget(item);
    },
    retries: (item) => Math.max(0, ...limiters.map((l) => l.retries(item))),
  };
}

/**
 * controller-runtime's default: per-key backoff from 5 ms doubling up to 1000 s, and no more than
 * 10 retries per second overall (bursts of 100).
 */
export function defaultControllerRateLimiter<K>(clock: Clock): RateLimiter<K> {
  return maxOfLimiters<K>(
    itemExponentialLimiter({ baseMs: 5, maxMs: 1_000_000 }),
    tokenBucketLimiter({ qps: 10, burst: 100, clock }),
  );
}
