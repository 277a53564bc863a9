// Optimistic concurrency: an update built from a stale read fails with 409 Conflict; the fix is
// to read again and reapply the change. retryOnConflict does that a bounded number of times.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from './errors.ts';

export interface ConflictRetryOptions {
  /** Attempts in total. */
  attempts?: number;
  /** Base delay between attempts (jittered, grows linearly). */
  delayMs?: number;
  signal?: AbortSignal;
}

/** Runs `attempt` (which must read fresh state each time) until it does not throw Conflict. */
export async function retryOnConflict<T>(
  attempt: () => Promise<T>,
  { attempts = 10, delayMs = 10, signal }: ConflictRetryOptions = {},
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError) || i >= attempts) throw err;
      await sleep(delayMs * i * (0.5 + Math.random()), undefined, { signal });
    }
  }
}
