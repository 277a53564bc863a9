// The decisions of leader election, as pure functions of what a candidate has observed, who it is
// and its local clock. No I/O and no timers: the elector (elector.ts) does the reading and writing.
//
// Expiry is judged the way client-go judges it: not by the holder's renewTime (written by another
// machine's clock), but by the LOCAL time at which this candidate first saw the record in its
// current form. A lease is expired once it has not changed for leaseDurationSeconds as measured
// here, so clock skew between candidates cannot make a live lease look dead (or the reverse).

/** What a lock stores: the leader-relevant part of a Lease spec, with times in epoch ms. */
export interface LeaderElectionRecord {
  /** Who holds the lease; empty when nobody does (it was released). */
  holderIdentity: string;
  /** How long others must see the record unchanged before they may take the lease. */
  leaseDurationSeconds: number;
  /** When the current holder acquired the lease; undefined when the stored object has none. */
  acquireTime: number | undefined;
  /** When the holder last renewed; informational only (see the header comment). */
  renewTime: number | undefined;
  /** How many times the lease changed hands. */
  leaseTransitions: number;
}

/** A record, and the local time at which this candidate first saw it in this exact form. */
export interface Observation {
  record: LeaderElectionRecord;
  observedAt: number;
}

/** The whole seconds a Lease can express, rounded up so others never wait less than we assume. */
export function leaseDurationSeconds(leaseDurationMs: number): number {
  return Math.max(1, Math.ceil(leaseDurationMs / 1000));
}

export function sameRecord(a: LeaderElectionRecord, b: LeaderElectionRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Folds a freshly read record into the previous observation: an unchanged record keeps the time it
 * was first seen (so its expiry keeps approaching); a changed one restarts the count at `now`.
 */
export function observe(
  previous: Observation | undefined,
  record: LeaderElectionRecord,
  now: number,
): Observation {
  return previous && sameRecord(previous.record, record) ? previous : { record, observedAt: now };
}

/** The local time from which others may take the observed lease. */
export function expiresAt(observation: Observation): number {
  return observation.observedAt + observation.record.leaseDurationSeconds * 1000;
}

export function isExpired(observation: Observation, now: number): boolean {
  return now >= expiresAt(observation);
}

export type Decision =
  /** No lease exists: create it with this record. */
  | { action: 'create'; record: LeaderElectionRecord }
  /** We hold the lease: write this record (same acquireTime and transitions, new renewTime). */
  | { action: 'renew'; record: LeaderElectionRecord }
  /** The lease is free (released or expired): take it over with this record. */
  | { action: 'acquire'; record: LeaderElectionRecord; previousHolder: string }
  /** Someone else holds a live lease; try again later. */
  | { action: 'wait'; holder: string; expiresAt: number };

export interface DecideInput {
  /** The lease as last observed; undefined when it does not exist. */
  observation: Observation | undefined;
  identity: string;
  /** Local time now. */
  now: number;
  /** The duration to write into our record. */
  leaseDurationSeconds: number;
}

/** Whether this candidate may write the lease now, and the record to write. */
export function decide(input: DecideInput): Decision {
  const { observation, identity, now } = input;
  const ours = (acquireTime: number, leaseTransitions: number): LeaderElectionRecord => ({
    holderIdentity: identity,
    leaseDurationSeconds: input.leaseDurationSeconds,
    acquireTime,
    renewTime: now,
    leaseTransitions,
  });
  if (observation === undefined) return { action: 'create', record: ours(now, 0) };
  const current = observation.record;
  if (current.holderIdentity === identity) {
    return { action: 'renew', record: ours(current.acquireTime ?? now, current.leaseTransitions) };
  }
  if (current.holderIdentity === '' || isExpired(observation, now)) {
    return {
      action: 'acquire',
      record: ours(now, current.leaseTransitions + 1),
      previousHolder: current.holderIdentity,
    };
  }
  return { action: 'wait', holder: current.holderIdentity, expiresAt: expiresAt(observation) };
}

/**
 * The record a holder writes when it steps down: no holder and a one-second duration, so the next
 * candidate takes over at its next attempt. Like client-go, the times are set to the release time
 * and the transition count is kept (the next holder increments it).
 */
export function releasedRecord(held: LeaderElectionRecord, now: number): LeaderElectionRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: held.leaseTransitions,
  };
}
