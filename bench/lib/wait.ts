import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown from an `until` check to stop polling at once, even where errors are retried. */
export class Fatal extends Error {}

export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /**
   * Retry a check that throws (a `Fatal` excepted), and name the last error on timeout. Off, an
   * error of the check ends the wait at once.
   */
  retryErrors?: boolean;
  /** Aborted: the wait gives up before its next check. */
  signal?: AbortSignal;
}

/** Polls `check` until it returns a value (not undefined), and returns that value. */
export async function until<T>(
  what: string | (() => string),
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 90_000, intervalMs = 200, retryErrors = false, signal }: UntilOptions = {},
): Promise<T> {
  const describeWhat = (): string => (typeof what === 'string' ? what : what());
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (signal?.aborted) throw new Error(`given up: ${describeWhat()}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      if (!retryErrors || err instanceof Fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(
        `timed out after ${(timeoutMs / 1000).toFixed(0)}s: ${describeWhat()}${detail}`,
      );
    }
    await sleep(intervalMs);
  }
}

export interface QuietOptions {
  /** How long the count must stand still. */
  idleMs: number;
  /** How long to wait for that at the most. */
  maxMs: number;
  /** How often to read the count. */
  pollMs?: number;
}

/**
 * Waits until `count` (of requests sent, say) has not changed for `idleMs`; false if that did not
 * happen within `maxMs`.
 */
export async function untilQuiet(
  count: () => number | Promise<number>,
  { idleMs, maxMs, pollMs = 250 }: QuietOptions,
): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let seen = await count();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(pollMs);
    const now = await count();
    if (now !== seen) {
      seen = now;
      since = Date.now();
    } else if (Date.now() - since >= idleMs) {
      return true;
    }
  }
  return false;
}
