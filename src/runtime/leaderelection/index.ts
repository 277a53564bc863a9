// Leader election on a coordination.k8s.io/v1 Lease (see elector.ts for the semantics).
export {
  LeaderElector,
  LeadershipLostError,
  defaultLeaseDurationMs,
  defaultRenewDeadlineMs,
  defaultRetryPeriodMs,
  jitterFactor,
  type LeaderElectorOptions,
  type LockSource,
} from './elector.ts';
export {
  LeaseLock,
  leaseSpecFrom,
  recordFromLease,
  type LockSnapshot,
  type ResourceLock,
} from './lease-lock.ts';
export {
  decide,
  expiresAt,
  isExpired,
  leaseDurationSeconds,
  observe,
  releasedRecord,
  sameRecord,
  type Decision,
  type DecideInput,
  type LeaderElectionRecord,
  type Observation,
} from './decide.ts';
export { leaseGate, type LeaseGateOptions } from './gate.ts';
