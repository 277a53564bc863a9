import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { describe, expect, it } from 'vitest';
import { leaseSpecFrom, recordFromLease } from './lease-lock.ts';

const at = Date.UTC(2026, 10, 21, 10, 4, 5, 123);

describe('Lease <-> record', () => {
  it('writes times as MicroTime with six fractional digits', () => {
    const spec = leaseSpecFrom({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: at - 1000,
      renewTime: at,
      leaseTransitions: 2,
    });
    expect(spec).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-21T10:04:04.123000Z',
      renewTime: '2026-11-21T10:04:05.123000Z',
      leaseTransitions: 2,
    });
  });

  it('keeps spec fields it does not manage and replaces the ones it does', () => {
    const spec = leaseSpecFrom(
      {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: undefined,
        renewTime: at,
        leaseTransitions: 0,
      },
      {
        holderIdentity: 'old',
        acquireTime: '2020-01-01T00:00:00.000000Z',
        strategy: 'OldestEmulationVersion',
        preferredHolder: 'someone',
      } as LeaseSpec, // fields newer than kubernetes-types 1.30
    );
    expect(spec).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: '2026-11-21T10:04:05.123000Z',
      leaseTransitions: 0,
      strategy: 'OldestEmulationVersion',
      preferredHolder: 'someone',
    });
  });

  it('reads microsecond times written by Go clients, and missing fields as empty', () => {
    expect(
      recordFromLease({
        spec: {
          holderIdentity: 'go-client',
          leaseDurationSeconds: 15,
          acquireTime: '2026-11-21T10:04:05.123456Z',
          renewTime: '2026-11-21T10:04:05.123999Z',
          leaseTransitions: 7,
        },
      }),
    ).toEqual({
      holderIdentity: 'go-client',
      leaseDurationSeconds: 15,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 7,
    });
    expect(recordFromLease({})).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 0,
      acquireTime: undefined,
      renewTime: undefined,
      leaseTransitions: 0,
    });
  });

  it('round-trips a record', () => {
    const record = {
      holderIdentity: 'me',
      leaseDurationSeconds: 4,
      acquireTime: at,
      renewTime: at + 500,
      leaseTransitions: 1,
    };
    expect(recordFromLease({ spec: leaseSpecFrom(record) })).toEqual(record);
  });
});
