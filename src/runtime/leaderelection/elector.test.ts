// The elector against an in-memory lock with the API server's compare-and-swap rules, on a fake
// clock: every timing below is exact.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../kube/errors.ts';
import { FakeClock } from '../clock.ts';
import type { LeaderElectionRecord } from './decide.ts';
import { LeaderElector, LeadershipLostError } from './elector.ts';
import { leaseSpecFrom, recordFromLease } from './lease-lock.ts';
import type { LockSnapshot, ResourceLock } from './lease-lock.ts';

type Op = 'get' | 'create' | 'update';

class MemoryLock implements ResourceLock {
  readonly description = 'test/leader';
  lease: Lease | undefined;
  readonly ops: Op[] = [];
  /** Consulted on every call: an Error fails it, 'hang' leaves it pending until aborted. */
  failWith: ((op: Op) => Error | 'hang' | undefined) | undefined;
  #version = 0;

  get record(): LeaderElectionRecord | undefined {
    return this.lease && recordFromLease(this.lease);
  }

  /** Writes the lease as another party would. */
  put(record: LeaderElectionRecord): void {
    this.lease = this.#stored(record, this.lease);
  }

  async get(signal?: AbortSignal): Promise<LockSnapshot | undefined> {
    await this.#gate('get', signal);
    return this.lease && snapshot(this.lease);
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<LockSnapshot> {
    await this.#gate('create', signal);
    if (this.lease) throw apiError(AlreadyExistsError, 409, 'AlreadyExists');
    this.lease = this.#stored(record, undefined);
    return snapshot(this.lease);
  }

  async update(
    record: LeaderElectionRecord,
    previous: LockSnapshot,
    signal?: AbortSignal,
  ): Promise<LockSnapshot> {
    await this.#gate('update', signal);
    if (!this.lease) throw apiError(NotFoundError, 404, 'NotFound');
    if (previous.lease.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      throw apiError(ConflictError, 409, 'Conflict');
    }
    this.lease = this.#stored(record, this.lease);
    return snapshot(this.lease);
  }

  #stored(record: LeaderElectionRecord, base: Lease | undefined): Lease {
    return {
      metadata: { name: 'leader', namespace: 'test', resourceVersion: String(++this.#version) },
      spec: leaseSpecFrom(record, base?.spec),
    };
  }

  async #gate(op: Op, signal: AbortSignal | undefined): Promise<void> {
    this.ops.push(op);
    const failure = this.failWith?.(op);
    if (failure === 'hang') {
      await new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
      });
      return;
    }
    if (failure) throw failure;
    await Promise.resolve();
  }
}

function snapshot(lease: Lease): LockSnapshot {
  const copy = structuredClone(lease);
  return { record: recordFromLease(copy), lease: copy };
}

function apiError<E>(
  cls: new (method: string, path: string, code: number, status: object) => E,
  code: number,
  reason: string,
): E {
  return new cls('PUT', '/leases/leader', code, { kind: 'Status', reason });
}

interface Setup {
  clock?: FakeClock;
  lock?: MemoryLock;
  identity?: string;
  releaseOnCancel?: boolean;
  onStartedLeading?: (signal: AbortSignal) => void | Promise<void>;
}

/** Starts an elector with the default timings (15s / 10s / 2s) and no jitter. */
function start(setup: Setup = {}) {
  const clock = setup.clock ?? new FakeClock();
  const lock = setup.lock ?? new MemoryLock();
  const events: string[] = [];
  let leading: AbortSignal | undefined;
  const elector = new LeaderElector({
    lock,
    identity: setup.identity ?? 'me',
    clock,
    random: () => 0,
    ...(setup.releaseOnCancel !== undefined && { releaseOnCancel: setup.releaseOnCancel }),
    onStartedLeading:
      setup.onStartedLeading ??
      ((signal) => {
        events.push('started');
        leading = signal;
      }),
    onStoppedLeading: () => events.push('stopped'),
    onNewLeader: (identity) => events.push(`leader:${identity}`),
  });
  const stop = new AbortController();
  const result = elector.run(stop.signal).then(
    () => ({ error: undefined }),
    (error: unknown) => ({ error }),
  );
  return { clock, lock, elector, events, stop, result, leading: () => leading };
}

const t0 = Date.UTC(2026, 0, 1);

describe('LeaderElector', () => {
  it('creates an absent lease, leads, renews every retryPeriod and releases on stop', async () => {
    const { clock, lock, elector, events, stop, result, leading } = start();
    await clock.advance(0);
    expect(events).toEqual(['leader:me', 'started']);
    expect(elector.isLeader()).toBe(true);
    expect(elector.getLeader()).toBe('me');
    expect(lock.record).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: t0,
      renewTime: t0,
      leaseTransitions: 0,
    });

    lock.ops.length = 0;
    await clock.advance(2_000);
    expect(lock.record).toMatchObject({ acquireTime: t0, renewTime: t0 + 2_000 });
    // The leader renews with one compare-and-swap update, without reading first.
    expect(lock.ops).toEqual(['update']);
    await clock.advance(10_000);
    expect(lock.record?.renewTime).toBe(t0 + 12_000);
    expect(leading()?.aborted).toBe(false);

    stop.abort();
    expect(await result).toEqual({ error: undefined });
    expect(leading()?.aborted).toBe(true);
    expect(events.at(-1)).toBe('stopped');
    expect(lock.record).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: t0 + 12_000,
      renewTime: t0 + 12_000,
      leaseTransitions: 0,
    });
    expect(elector.isLeader()).toBe(false);
    expect(elector.getLeader()).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits out a live lease by the local clock, ignoring a skewed remote renewTime', async () => {
    const clock = new FakeClock();
    const lock = new MemoryLock();
    // The holder's clock is an hour ahead; its last renewal "happens" in our future.
    lock.put({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      acquireTime: t0 + 3_600_000,
      renewTime: t0 + 3_600_000,
      leaseTransitions: 2,
    });
    const { elector, events, stop, result } = start({ clock, lock });
    await clock.advance(0);
    expect(events).toEqual(['leader:other']);
    expect(elector.getLeader()).toBe('other');

    // Attempts every 2s see the same record; at 14s it has been unchanged for less than 15s.
    await clock.advance(14_000);
    expect(elector.isLeader()).toBe(false);
    expect(lock.record?.holderIdentity).toBe('other');
    await clock.advance(2_000);
    expect(events).toEqual(['leader:other', 'leader:me', 'started']);
    expect(lock.record).toMatchObject({
      holderIdentity: 'me',
      acquireTime: t0 + 16_000,
      leaseTransitions: 3,
    });
    stop.abort();
    await result;
  });

  it('never takes a lease whose holder keeps renewing it', async () => {
    const clock = new FakeClock();
    const lock = new MemoryLock();
    const renew = (): void => {
      lock.put({
        holderIdentity: 'other',
        leaseDurationSeconds: 15,
        acquireTime: t0,
        renewTime: clock.now(),
        leaseTransitions: 0,
      });
    };
    renew();
    const { elector, stop, result } = start({ clock, lock });
    for (let i = 0; i < 20; i++) {
      await clock.advance(5_000);
      renew();
    }
    expect(elector.isLeader()).toBe(false);
    expect(lock.record?.holderIdentity).toBe('other');
    stop.abort();
    expect(await result).toEqual({ error: undefined });
    expect(clock.pendingTimers).toBe(0);
  });

  it('takes a released lease at the next attempt', async () => {
    const clock = new FakeClock();
    const lock = new MemoryLock();
    lock.put({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      acquireTime: t0,
      renewTime: t0,
      leaseTransitions: 4,
    });
    const { elector, stop, result } = start({ clock, lock });
    await clock.advance(1_000);
    expect(elector.isLeader()).toBe(false);
    lock.put({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: t0 + 1_000,
      renewTime: t0 + 1_000,
      leaseTransitions: 4,
    });
    await clock.advance(1_000);
    expect(elector.isLeader()).toBe(true);
    expect(lock.record).toMatchObject({ holderIdentity: 'me', leaseTransitions: 5 });
    stop.abort();
    await result;
  });

  it('lets exactly one of two racing candidates lead, and hands over on stop', async () => {
    const clock = new FakeClock();
    const lock = new MemoryLock();
    const a = start({ clock, lock, identity: 'a' });
    const b = start({ clock, lock, identity: 'b' });
    await clock.advance(0);
    await clock.advance(30_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(b.events).not.toContain('started');
    expect(b.elector.getLeader()).toBe('a');

    a.stop.abort();
    expect(await a.result).toEqual({ error: undefined });
    await clock.advance(2_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(lock.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop.abort();
    await b.result;
    expect(clock.pendingTimers).toBe(0);
  });

  it('loses leadership when it cannot renew within renewDeadline of the last renewal', async () => {
    const { clock, lock, elector, events, result, leading } = start();
    await clock.advance(0);
    lock.failWith = () => new Error('connect ECONNREFUSED');
    await clock.advance(9_999);
    expect(elector.isLeader()).toBe(true);
    expect(events).not.toContain('stopped');
    await clock.advance(1);
    expect(elector.isLeader()).toBe(false);
    expect(leading()?.aborted).toBe(true);
    expect(events.at(-1)).toBe('stopped');
    const { error } = await result;
    expect(error).toBeInstanceOf(LeadershipLostError);
    expect(error).toMatchObject({ identity: 'me', holder: undefined, lastRenewedAt: t0 });
    expect((error as Error).cause).toMatchObject({ message: 'connect ECONNREFUSED' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts a hanging renewal at the renew deadline', async () => {
    const { clock, lock, events, result } = start();
    await clock.advance(0);
    lock.failWith = () => 'hang';
    await clock.advance(9_999);
    expect(events).not.toContain('stopped');
    await clock.advance(1);
    expect(events.at(-1)).toBe('stopped');
    expect((await result).error).toBeInstanceOf(LeadershipLostError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops at once, without writing, when another holder took the lease', async () => {
    const { clock, lock, events, result, leading } = start();
    await clock.advance(0);
    await clock.advance(500);
    lock.put({
      holderIdentity: 'intruder',
      leaseDurationSeconds: 3600,
      acquireTime: clock.now(),
      renewTime: clock.now(),
      leaseTransitions: 1,
    });
    const overwritten = lock.lease?.metadata?.resourceVersion;
    await clock.advance(1_500);
    expect(leading()?.aborted).toBe(true);
    expect(events.slice(-2)).toEqual(['leader:intruder', 'stopped']);
    const { error } = await result;
    expect(error).toBeInstanceOf(LeadershipLostError);
    expect(error).toMatchObject({ holder: 'intruder' });
    expect(lock.lease?.metadata?.resourceVersion).toBe(overwritten);
  });

  it('treats a lease emptied by someone else as lost, not as free to take again', async () => {
    const { clock, lock, events, result } = start();
    await clock.advance(0);
    // Someone else held and released it between two of our renewals.
    lock.put({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: clock.now(),
      renewTime: clock.now(),
      leaseTransitions: 2,
    });
    await clock.advance(2_000);
    expect(events.at(-1)).toBe('stopped');
    expect((await result).error).toMatchObject({ name: 'LeadershipLostError', holder: '' });
    expect(lock.record?.holderIdentity).toBe('');
  });

  it('recreates a lease deleted under it', async () => {
    const { clock, lock, elector, stop, result } = start();
    await clock.advance(0);
    lock.lease = undefined;
    await clock.advance(2_000);
    expect(elector.isLeader()).toBe(true);
    expect(lock.record).toMatchObject({ holderIdentity: 'me', acquireTime: t0 + 2_000 });
    stop.abort();
    await result;
  });

  it('keeps renewing while the work winds down, and releases only after it stopped', async () => {
    let finish = (): void => undefined;
    const { clock, lock, elector, stop, result } = start({
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            finish = resolve;
          });
        }),
    });
    await clock.advance(0);
    stop.abort();
    await clock.advance(12_000);
    expect(elector.isLeader()).toBe(false);
    // Still ours, renewed meanwhile, so nobody else leads while the work is still running.
    expect(lock.record).toMatchObject({ holderIdentity: 'me', renewTime: t0 + 12_000 });
    finish();
    expect(await result).toEqual({ error: undefined });
    expect(lock.record?.holderIdentity).toBe('');
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the lease on stop when releaseOnCancel is false', async () => {
    const { clock, lock, events, stop, result } = start({ releaseOnCancel: false });
    await clock.advance(0);
    stop.abort();
    expect(await result).toEqual({ error: undefined });
    expect(events.at(-1)).toBe('stopped');
    expect(lock.record?.holderIdentity).toBe('me');
  });

  it('steps down and rejects with the error when the leader work fails', async () => {
    const failure = new Error('work failed');
    const { clock, lock, events, result } = start({
      onStartedLeading: () => Promise.reject(failure),
    });
    await clock.advance(0);
    expect((await result).error).toBe(failure);
    expect(events.at(-1)).toBe('stopped');
    expect(lock.record?.holderIdentity).toBe('');
  });

  it('returns quietly when stopped before it ever led', async () => {
    const clock = new FakeClock();
    const lock = new MemoryLock();
    lock.put({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      acquireTime: t0,
      renewTime: t0,
      leaseTransitions: 0,
    });
    const { events, stop, result } = start({ clock, lock });
    await clock.advance(3_000);
    stop.abort();
    expect(await result).toEqual({ error: undefined });
    expect(events).toEqual(['leader:other']);
    expect(lock.record?.holderIdentity).toBe('other');
    expect(clock.pendingTimers).toBe(0);
  });

  it('may run only once', async () => {
    const { clock, elector, stop, result } = start();
    await clock.advance(0);
    await expect(elector.run(new AbortController().signal)).rejects.toThrow(/only once/);
    stop.abort();
    await result;
  });

  it('rejects inconsistent timings with a clear error', () => {
    const make =
      (timings: object, identity = 'me') =>
      () =>
        new LeaderElector({
          lock: new MemoryLock(),
          identity,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => undefined,
          ...timings,
        });
    expect(make({ leaseDurationMs: 10_000 })).toThrow(
      'leaseDurationMs (10000) must be greater than renewDeadlineMs (10000)',
    );
    expect(make({ renewDeadlineMs: 2_400 })).toThrow(
      'renewDeadlineMs (2400) must be greater than 1.2 × retryPeriodMs (2400)',
    );
    expect(make({ retryPeriodMs: 0 })).toThrow('retryPeriodMs must be a positive number');
    expect(make({ leaseDurationMs: Number.NaN })).toThrow(RangeError);
    expect(make({}, '')).toThrow('identity must be a non-empty string');
    expect(
      make({ leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 }),
    ).not.toThrow();
  });
});
