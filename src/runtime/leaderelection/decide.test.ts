import { describe, expect, it } from 'vitest';
import {
  decide,
  expiresAt,
  isExpired,
  leaseDurationSeconds,
  observe,
  releasedRecord,
  sameRecord,
} from './decide.ts';
import type { LeaderElectionRecord, Observation } from './decide.ts';

const t0 = Date.UTC(2026, 0, 1);

function record(overrides: Partial<LeaderElectionRecord> = {}): LeaderElectionRecord {
  return {
    holderIdentity: 'other',
    leaseDurationSeconds: 15,
    acquireTime: t0 - 60_000,
    renewTime: t0 - 1_000,
    leaseTransitions: 3,
    ...overrides,
  };
}

const input = (observation: Observation | undefined, now: number) => ({
  observation,
  identity: 'me',
  now,
  leaseDurationSeconds: 15,
});

describe('leaseDurationSeconds', () => {
  it('rounds up to whole seconds, at least one', () => {
    expect(leaseDurationSeconds(15_000)).toBe(15);
    expect(leaseDurationSeconds(4_001)).toBe(5);
    expect(leaseDurationSeconds(200)).toBe(1);
  });
});

describe('observe', () => {
  it('keeps the first-seen time while the record is unchanged', () => {
    const first = observe(undefined, record(), t0);
    expect(first.observedAt).toBe(t0);
    const again = observe(first, record(), t0 + 10_000);
    expect(again).toBe(first);
    expect(again.observedAt).toBe(t0);
  });

  it('restarts the count when any field changed', () => {
    const first = observe(undefined, record(), t0);
    for (const change of [
      { holderIdentity: 'x' },
      { leaseDurationSeconds: 1 },
      { acquireTime: t0 },
      { renewTime: t0 },
      { leaseTransitions: 4 },
    ]) {
      const next = observe(first, record(change), t0 + 5_000);
      expect(next.observedAt).toBe(t0 + 5_000);
      expect(sameRecord(next.record, first.record)).toBe(false);
    }
  });
});

describe('expiry', () => {
  it('is measured from the local observation time, not the remote renewTime', () => {
    // The holder's clock runs an hour ahead: its renewTime is in our future. It still expires
    // leaseDuration after we last saw it change.
    const skewed = record({ renewTime: t0 + 3_600_000 });
    const obs = observe(undefined, skewed, t0);
    expect(expiresAt(obs)).toBe(t0 + 15_000);
    expect(isExpired(obs, t0 + 14_999)).toBe(false);
    expect(isExpired(obs, t0 + 15_000)).toBe(true);

    // And a renewTime far in the past (clock behind) does not make a fresh record look expired.
    const stale = observe(undefined, record({ renewTime: t0 - 3_600_000 }), t0);
    expect(isExpired(stale, t0 + 1_000)).toBe(false);
  });
});

describe('decide', () => {
  it('creates an absent lease with us as holder and zero transitions', () => {
    expect(decide(input(undefined, t0))).toEqual({
      action: 'create',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: t0,
        renewTime: t0,
        leaseTransitions: 0,
      },
    });
  });

  it('renews our own lease keeping acquireTime and transitions', () => {
    const obs = observe(undefined, record({ holderIdentity: 'me' }), t0 - 30_000);
    // Even when it has expired locally: it is still ours to renew.
    expect(decide(input(obs, t0))).toEqual({
      action: 'renew',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: t0 - 60_000,
        renewTime: t0,
        leaseTransitions: 3,
      },
    });
  });

  it('renews a lease of ours that lacks acquireTime by stamping it now', () => {
    const obs = observe(undefined, record({ holderIdentity: 'me', acquireTime: undefined }), t0);
    const d = decide(input(obs, t0 + 1));
    expect(d.action).toBe('renew');
    expect(d.action === 'renew' && d.record.acquireTime).toBe(t0 + 1);
  });

  it('waits for a live lease of another holder, saying until when', () => {
    const obs = observe(undefined, record(), t0);
    expect(decide(input(obs, t0 + 14_999))).toEqual({
      action: 'wait',
      holder: 'other',
      expiresAt: t0 + 15_000,
    });
  });

  it('takes over an expired lease, counting a transition and stamping acquireTime', () => {
    const obs = observe(undefined, record(), t0);
    expect(decide(input(obs, t0 + 15_000))).toEqual({
      action: 'acquire',
      previousHolder: 'other',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: t0 + 15_000,
        renewTime: t0 + 15_000,
        leaseTransitions: 4,
      },
    });
  });

  it('takes over a released lease at once', () => {
    const released = releasedRecord(record(), t0);
    const obs = observe(undefined, released, t0);
    const d = decide(input(obs, t0));
    expect(d).toMatchObject({ action: 'acquire', previousHolder: '' });
    expect(d.action === 'acquire' && d.record.leaseTransitions).toBe(4);
  });

  it('uses the duration written in the observed record, not our own', () => {
    // A holder configured with 60s is respected by a candidate configured with 15s.
    const obs = observe(undefined, record({ leaseDurationSeconds: 60 }), t0);
    expect(decide(input(obs, t0 + 30_000)).action).toBe('wait');
    expect(decide(input(obs, t0 + 60_000)).action).toBe('acquire');
  });
});

describe('releasedRecord', () => {
  it('clears the holder, shortens the duration to 1s and keeps the transition count', () => {
    expect(releasedRecord(record({ holderIdentity: 'me' }), t0)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: t0,
      renewTime: t0,
      leaseTransitions: 3,
    });
  });
});
