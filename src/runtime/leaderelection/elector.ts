// Leader election on a Lease, with controller-runtime's semantics and defaults (15s / 10s / 2s):
// candidates try to take the lease every retryPeriod (jittered ×[1, 2.2)); the leader renews it
// every retryPeriod and gives up leadership when it could not renew for renewDeadline; others take
// over once the lease has not changed for leaseDuration on their own clock. Because the leader's
// deadline counts from the start of its last successful write and others count from after they saw
// that write, leaseDuration > renewDeadline means the old leader stops before a new one starts.
//
// run() resolves after a graceful stop (on which the lease is released: empty holder, one-second
// duration, so the next candidate takes over at its next attempt) and rejects with
// LeadershipLostError when leadership was lost; a manager treats that as fatal and exits, as
// controller-runtime does.
//
// Where this differs from client-go, it is stricter:
//   - A leader that reads the lease and finds another holder (or none) stops at once instead of
//     retrying until renewDeadline: someone else may already be acting as leader.
//   - renewDeadline counts from the last successful renewal, not from the start of a renew round,
//     so a leader never acts more than renewDeadline after it last proved its claim.
//   - onStoppedLeading is called only by a candidate that started leading.
//   - A graceful stop keeps renewing until onStartedLeading's work has settled and only then
//     releases the lease, so the next leader never overlaps with this one.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { KubeClient } from '../../kube/client.ts';
import { AlreadyExistsError, ConflictError } from '../../kube/errors.ts';
import { realClock } from '../clock.ts';
import type { Clock, Timer } from '../clock.ts';
import { decide, isExpired, leaseDurationSeconds, observe, releasedRecord } from './decide.ts';
import type { Observation } from './decide.ts';
import { LeaseLock } from './lease-lock.ts';
import type { LockSnapshot, ResourceLock } from './lease-lock.ts';

export const defaultLeaseDurationMs = 15_000;
export const defaultRenewDeadlineMs = 10_000;
export const defaultRetryPeriodMs = 2_000;
/** Waits between acquisition attempts are retryPeriod × [1, 1 + jitterFactor). */
export const jitterFactor = 1.2;

/** Either a lock, or where to keep a Lease lock. */
export type LockSource =
  { lock: ResourceLock } | { client: KubeClient; namespace: string; name: string };

export type LeaderElectorOptions = LockSource & {
  /** Unique among the candidates, e.g. `<hostname>_<uuid>`. */
  identity: string;
  /** How long others wait, after the lease last changed, before they take it. Default 15s. */
  leaseDurationMs?: number;
  /** How long the leader keeps leading without a successful renewal. Default 10s. */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default 2s. */
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Release the lease when run()'s signal aborts while leading. Default true. */
  releaseOnCancel?: boolean;
  /**
   * Called once this candidate leads. `signal` aborts when leadership ends (stop or loss); the
   * work must then stop. A rejection (or throw) ends leadership too: the lease is released and
   * run() rejects with that error.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once leadership has ended, if it ever started. */
  onStoppedLeading: () => void;
  /** Called with the identity of each new holder observed (ourselves included). */
  onNewLeader?: (identity: string) => void;
  /** Source of [0, 1) for jitter; injected by tests. */
  random?: () => number;
};

/** run() rejects with this when leadership was lost (not given up): the process should exit. */
export class LeadershipLostError extends Error {
  readonly identity: string;
  readonly lease: string;
  /** The holder seen when another candidate took the lease; undefined when renewals failed. */
  readonly holder: string | undefined;
  /** Local time of the last successful renewal. */
  readonly lastRenewedAt: number;

  constructor(
    identity: string,
    lease: string,
    holder: string | undefined,
    lastRenewedAt: number,
    cause?: unknown,
  ) {
    const why =
      holder === undefined
        ? 'could not renew it before the renew deadline'
        : holder === ''
          ? 'it was released by someone else'
          : `it is now held by "${holder}"`;
    super(`leader election lost: ${identity} no longer holds lease ${lease}: ${why}`, {
      ...(cause !== undefined && { cause }),
    });
    this.name = 'LeadershipLostError';
    this.identity = identity;
    this.lease = lease;
    this.holder = holder;
    this.lastRenewedAt = lastRenewedAt;
  }
}

type Attempt =
  | { outcome: 'ok' }
  /** The request failed (network, conflict, timeout): nothing was learned about the holder. */
  | { outcome: 'failed'; error: unknown }
  /** The lease is held by someone else and has not expired. */
  | { outcome: 'held'; holder: string }
  /** We were leading, but the lease now names another holder (or none). */
  | { outcome: 'taken'; holder: string };

export class LeaderElector {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly #lock: ResourceLock;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #releaseOnCancel: boolean;
  readonly #random: () => number;
  readonly #onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  readonly #onStoppedLeading: () => void;
  readonly #onNewLeader: ((identity: string) => void) | undefined;
  readonly #durationSeconds: number;
  /** The lease as last read or written, with the local time its current form was first seen. */
  #observation: Observation | undefined;
  /** The object the next compare-and-swap update is based on. */
  #snapshot: LockSnapshot | undefined;
  /** Between acquiring and stepping down (what isLeader() reports). */
  #leading = false;
  /** We hold the lease and keep renewing it: while leading, and while the work winds down. */
  #holding = false;
  /** Local start time of the last successful acquire or renew. */
  #lastRenewAt = 0;
  #reportedLeader = '';
  #ran = false;

  constructor(options: LeaderElectorOptions) {
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? defaultLeaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? defaultRenewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? defaultRetryPeriodMs;
    validate(this.identity, this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    this.#lock =
      'lock' in options
        ? options.lock
        : new LeaseLock(options.client, options.namespace, options.name);
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? pino({ level: 'silent' })).child({
      lease: this.#lock.description,
      identity: this.identity,
    });
    this.#releaseOnCancel = options.releaseOnCancel ?? true;
    this.#random = options.random ?? Math.random;
    this.#onStartedLeading = options.onStartedLeading;
    this.#onStoppedLeading = options.onStoppedLeading;
    this.#onNewLeader = options.onNewLeader;
    this.#durationSeconds = leaseDurationSeconds(this.leaseDurationMs);
  }

  /**
   * Whether this candidate leads now: it acquired the lease, has not stepped down, and renewed it
   * successfully within the last renewDeadline.
   */
  isLeader(): boolean {
    return this.#leading && this.#clock.now() < this.#lastRenewAt + this.renewDeadlineMs;
  }

  /** The holder of the lease as last observed; undefined when unknown or released. */
  getLeader(): string | undefined {
    return this.#observation?.record.holderIdentity || undefined;
  }

  /**
   * Campaigns until this candidate leads, then leads until `signal` aborts or leadership is lost.
   * Resolves after a graceful stop (the signal aborted; the lease released if releaseOnCancel),
   * also when the signal aborts before leadership was ever acquired. Rejects with
   * LeadershipLostError when leadership was lost, and with onStartedLeading's error when that
   * failed. Either way no timer or request of the elector remains when it settles. Once only.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#ran) throw new Error('LeaderElector.run() may be called only once');
    this.#ran = true;
    // Stopped by the caller, or by the leader's own work failing.
    const stop = new AbortController();
    const onAbort = (): void => {
      stop.abort(signal.reason);
    };
    if (signal.aborted) return;
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.#acquire(stop.signal))) return;
      await this.#lead(stop);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #acquire(stop: AbortSignal): Promise<boolean> {
    this.#log.info('attempting to acquire the leader lease');
    for (;;) {
      const started = this.#clock.now();
      const attempt = await this.#attempt(stop, this.renewDeadlineMs);
      if (attempt.outcome === 'ok') {
        if (stop.aborted) {
          // Won the lease just as we were told to stop: give it back rather than sit on it.
          if (this.#releaseOnCancel) await this.#release();
          return false;
        }
        this.#leading = true;
        this.#holding = true;
        this.#lastRenewAt = started;
        this.#log.info('acquired the leader lease');
        return true;
      }
      if (stop.aborted) return false;
      if (attempt.outcome === 'failed') this.#logFailure('acquire', attempt.error);
      const delay = this.retryPeriodMs * (1 + jitterFactor * this.#random());
      if (!(await this.#sleep(delay, stop))) return false;
    }
  }

  async #lead(stop: AbortController): Promise<void> {
    const leading = new AbortController();
    const failure: { error?: unknown } = {};
    const work = (async () => {
      await this.#onStartedLeading(leading.signal);
    })().catch((err: unknown) => {
      failure.error = err;
      this.#log.error({ err }, 'the leader work failed; stepping down');
      stop.abort(err);
    });

    const lost = await this.#renewUntilStopped(stop.signal);
    this.#leading = false;
    if (lost) {
      this.#holding = false;
      this.#log.error({ err: lost }, 'leadership lost');
      leading.abort(lost);
      this.#stopped();
      await work;
      throw lost;
    }
    this.#log.info('stepping down');
    leading.abort(stop.signal.reason);
    // Keep the lease while the work winds down, so no one else leads before it has stopped.
    const windDown = new AbortController();
    const renewing = this.#renewUntilStopped(windDown.signal);
    await work;
    windDown.abort();
    const lostWhileStopping = await renewing;
    if (lostWhileStopping) {
      this.#log.warn({ err: lostWhileStopping }, 'lost the lease while stepping down');
    } else if (this.#releaseOnCancel) {
      await this.#release();
    }
    this.#holding = false;
    this.#stopped();
    if ('error' in failure) throw failure.error;
  }

  /** Renews every retryPeriod; resolves undefined once `stop` aborts, or the loss that ended it. */
  async #renewUntilStopped(stop: AbortSignal): Promise<LeadershipLostError | undefined> {
    let delay = this.retryPeriodMs;
    let lastError: unknown;
    for (;;) {
      if (!(await this.#sleep(delay, stop))) return undefined;
      const started = this.#clock.now();
      const remaining = this.#lastRenewAt + this.renewDeadlineMs - started;
      if (remaining <= 0) return this.#lost(undefined, lastError);
      const attempt = await this.#attempt(stop, remaining);
      if (stop.aborted) return undefined;
      switch (attempt.outcome) {
        case 'ok':
          this.#lastRenewAt = started;
          lastError = undefined;
          delay = this.retryPeriodMs;
          continue;
        case 'taken':
        case 'held':
          return this.#lost(attempt.holder, undefined);
        case 'failed':
          lastError = attempt.error;
          this.#logFailure('renew', attempt.error);
          // Retry sooner than retryPeriod when the deadline comes first, to notice it on time.
          delay = Math.min(
            this.retryPeriodMs,
            Math.max(0, this.#lastRenewAt + this.renewDeadlineMs - this.#clock.now()),
          );
      }
    }
  }

  #lost(holder: string | undefined, cause: unknown): LeadershipLostError {
    return new LeadershipLostError(
      this.identity,
      this.#lock.description,
      holder,
      this.#lastRenewAt,
      cause,
    );
  }

  /** One tryAcquireOrRenew, aborted when `stop` aborts or after `timeoutMs`. */
  async #attempt(stop: AbortSignal, timeoutMs: number): Promise<Attempt> {
    const { abort, timer } = this.#deadline(timeoutMs, 'lease request');
    const onStop = (): void => {
      abort.abort(stop.reason);
    };
    stop.addEventListener('abort', onStop, { once: true });
    try {
      if (stop.aborted) return { outcome: 'failed', error: stop.reason };
      return await this.#tryAcquireOrRenew(abort.signal);
    } catch (error) {
      return { outcome: 'failed', error };
    } finally {
      timer.cancel();
      stop.removeEventListener('abort', onStop);
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const now = this.#clock.now();
    const decisionInput = {
      identity: this.identity,
      now,
      leaseDurationSeconds: this.#durationSeconds,
    };

    // Fast path: the leader renews its own, unexpired lease without reading it first. The update
    // is a compare-and-swap on the object we last wrote, so it fails if anyone wrote since.
    const snapshot = this.#snapshot;
    const observation = this.#observation;
    if (
      this.#holding &&
      snapshot &&
      observation &&
      snapshot.record.holderIdentity === this.identity &&
      !isExpired(observation, now)
    ) {
      const decision = decide({ ...decisionInput, observation });
      if (decision.action === 'renew') {
        try {
          this.#wrote(await this.#lock.update(decision.record, snapshot, signal), now);
          return { outcome: 'ok' };
        } catch (err) {
          if (signal.aborted) throw err;
          this.#log.debug({ err }, 'fast renewal failed; reading the lease');
        }
      }
    }

    const current = await this.#lock.get(signal);
    if (current) {
      this.#snapshot = current;
      this.#observation = observe(this.#observation, current.record, now);
      this.#reportLeader();
      const holder = current.record.holderIdentity;
      if (this.#holding && holder !== this.identity) return { outcome: 'taken', holder };
    } else {
      // Nobody holds a lease that does not exist, whatever we saw before.
      this.#snapshot = undefined;
      this.#observation = undefined;
    }

    const decision = decide({ ...decisionInput, observation: this.#observation });
    if (decision.action === 'wait') return { outcome: 'held', holder: decision.holder };
    if (decision.action === 'acquire') {
      this.#log.debug({ previousHolder: decision.previousHolder }, 'taking over the lease');
    }
    this.#wrote(
      decision.action === 'create' || !current
        ? await this.#lock.create(decision.record, signal)
        : await this.#lock.update(decision.record, current, signal),
      now,
    );
    return { outcome: 'ok' };
  }

  #wrote(snapshot: LockSnapshot, now: number): void {
    this.#snapshot = snapshot;
    this.#observation = { record: snapshot.record, observedAt: now };
    this.#reportLeader();
  }

  /** Hands the lease back: no holder, one-second duration. Best effort, bounded by renewDeadline. */
  async #release(): Promise<void> {
    const { abort, timer } = this.#deadline(this.renewDeadlineMs, 'releasing the lease');
    try {
      for (let tries = 0; tries < 2; tries++) {
        const snapshot = tries === 0 ? this.#snapshot : await this.#lock.get(abort.signal);
        if (snapshot?.record.holderIdentity !== this.identity) return;
        const now = this.#clock.now();
        try {
          this.#wrote(
            await this.#lock.update(releasedRecord(snapshot.record, now), snapshot, abort.signal),
            now,
          );
          this.#log.info('released the leader lease');
          return;
        } catch (err) {
          // Our copy was stale (e.g. a renewal's response was lost): read and try once more.
          if (!(err instanceof ConflictError)) throw err;
        }
      }
    } catch (err) {
      this.#log.warn({ err }, 'could not release the leader lease; others wait for it to expire');
    } finally {
      timer.cancel();
    }
  }

  /** An abort controller that fires after `ms` on the injected clock; cancel the timer when done. */
  #deadline(ms: number, what: string): { abort: AbortController; timer: Timer } {
    const abort = new AbortController();
    const timer = this.#clock.setTimer(ms, () => {
      abort.abort(new Error(`${what} timed out after ${ms}ms`));
    });
    return { abort, timer };
  }

  #reportLeader(): void {
    const holder = this.#observation?.record.holderIdentity ?? '';
    if (holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    if (holder === '') return;
    this.#log.info({ leader: holder }, 'new leader observed');
    try {
      this.#onNewLeader?.(holder);
    } catch (err) {
      this.#log.error({ err }, 'onNewLeader failed');
    }
  }

  #stopped(): void {
    try {
      this.#onStoppedLeading();
    } catch (err) {
      this.#log.error({ err }, 'onStoppedLeading failed');
    }
  }

  #logFailure(what: 'acquire' | 'renew', err: unknown): void {
    // Losing a race to another candidate is routine; anything else is worth a warning.
    const routine = err instanceof ConflictError || err instanceof AlreadyExistsError;
    if (routine)
      this.#log.debug({ err }, `could not ${what} the lease: another candidate wrote it`);
    else this.#log.warn({ err }, `could not ${what} the lease`);
  }

  /** Resolves true after `ms`, or false as soon as `stop` aborts. */
  #sleep(ms: number, stop: AbortSignal): Promise<boolean> {
    return this.#clock.sleep(ms, stop).then(
      () => !stop.aborted,
      () => false,
    );
  }
}

function validate(
  identity: string,
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
): void {
  if (typeof identity !== 'string' || identity === '') {
    throw new Error('leader election: identity must be a non-empty string');
  }
  const durations = { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  for (const [name, value] of Object.entries(durations)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`leader election: ${name} must be a positive number, got ${value}`);
    }
  }
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new RangeError(
      `leader election: leaseDurationMs (${leaseDurationMs}) must be greater than renewDeadlineMs (${renewDeadlineMs})`,
    );
  }
  if (renewDeadlineMs <= jitterFactor * retryPeriodMs) {
    throw new RangeError(
      `leader election: renewDeadlineMs (${renewDeadlineMs}) must be greater than ${jitterFactor} × retryPeriodMs (${jitterFactor * retryPeriodMs})`,
    );
  }
}
