// What a run of the kcp benchmark is told (KBT_BENCH_* variables) and the limits it keeps.
import { until } from '../lib/wait.ts';
import { clusterPoints } from './points.ts';

export const points = clusterPoints(process.env['KBT_BENCH_CLUSTERS'] ?? '200');
export const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 10);
/** Set-up stops when the machine has less memory available than this (MiB). */
export const minAvailableMiB = Number(process.env['KBT_BENCH_MIN_AVAILABLE_MIB'] ?? 2048);
export const gc = (globalThis as { gc?: () => void }).gc;
/** Set-up steps are kcp's: a workspace or binding that takes this long fails the run. */
export const setupStepTimeoutMs = 300_000;
export const engageTimeoutMs = (n: number): number => 180_000 + n * 1_000;
export const disengageTimeoutMs = (n: number): number => 300_000 + n * 1_000;

/** Aborted when the run ends (or fails): every poll still going gives up. */
export const finishing = new AbortController();

/**
 * Polls `check` until it returns a value; errors are retried and the last one reported, a `Fatal`
 * stops at once, and so does the end of the run.
 */
export const poll = <T>(
  what: string | (() => string),
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> =>
  until(what, check, { timeoutMs, intervalMs, retryErrors: true, signal: finishing.signal });

export const describe = (err: unknown): string =>
  err instanceof Error ? (err.stack ?? err.message) : String(err);

export const seconds = (ms: number): number => ms / 1000;
