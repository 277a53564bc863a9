// The lock leader election writes: a coordination.k8s.io/v1 Lease. Every update carries the
// resourceVersion of the object it was based on, so the API server turns concurrent writers into
// one winner and ConflictErrors for the rest. Times are written as MicroTime (six fractional
// digits), the only form the API server accepts for Lease times.
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import type { KubeClient } from '../../kube/client.ts';
import { ignoreNotFound } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { Leases } from '../../kube/resources.ts';
import { formatMicroTime, parseTime } from '../../kube/time.ts';
import type { LeaderElectionRecord } from './decide.ts';

/** A record as read from (or written to) the lock, with the object it came from. */
export interface LockSnapshot {
  record: LeaderElectionRecord;
  /** The stored Lease; its metadata.resourceVersion makes the next update a compare-and-swap. */
  lease: Lease;
}

/** Where leader election keeps its record. LeaseLock is the implementation; tests may fake it. */
export interface ResourceLock {
  /** `namespace/name`, for logs and errors. */
  readonly description: string;
  /** The current record, or undefined when the lock object does not exist. */
  get(signal?: AbortSignal): Promise<LockSnapshot | undefined>;
  /** Creates the lock object; fails with AlreadyExistsError when another candidate was first. */
  create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<LockSnapshot>;
  /**
   * Replaces the record of `previous`; fails with ConflictError when the object changed since
   * `previous` was read.
   */
  update(
    record: LeaderElectionRecord,
    previous: LockSnapshot,
    signal?: AbortSignal,
  ): Promise<LockSnapshot>;
}

export class LeaseLock implements ResourceLock {
  readonly namespace: string;
  readonly name: string;
  readonly description: string;
  readonly #leases: ResourceClient<Lease>;

  constructor(client: KubeClient, namespace: string, name: string) {
    if (!namespace || !name) throw new Error('LeaseLock needs a namespace and a name');
    this.namespace = namespace;
    this.name = name;
    this.description = `${namespace}/${name}`;
    this.#leases = new ResourceClient(client, Leases, namespace);
  }

  async get(signal?: AbortSignal): Promise<LockSnapshot | undefined> {
    const lease = await ignoreNotFound(this.#leases.get(this.name, signal));
    return lease && snapshotOf(lease);
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<LockSnapshot> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: leaseSpecFrom(record),
    };
    return snapshotOf(await this.#leases.create(lease, signal ? { signal } : {}));
  }

  async update(
    record: LeaderElectionRecord,
    previous: LockSnapshot,
    signal?: AbortSignal,
  ): Promise<LockSnapshot> {
    const { metadata } = previous.lease;
    if (metadata?.name !== this.name || !metadata.resourceVersion) {
      throw new Error(`lease ${this.description}: update needs a snapshot read from this lease`);
    }
    const lease: Lease = {
      ...previous.lease,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      spec: leaseSpecFrom(record, previous.lease.spec),
    };
    return snapshotOf(await this.#leases.update(lease, signal ? { signal } : {}));
  }
}

/** The leader-election record of a Lease; missing fields read as "nobody, never". */
export function recordFromLease(lease: Lease): LeaderElectionRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: parseTime(spec.acquireTime),
    renewTime: parseTime(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/**
 * The Lease spec holding `record`. Fields of `base` this library does not manage (strategy,
 * preferredHolder) are kept; absent times are left out rather than written empty.
 */
export function leaseSpecFrom(record: LeaderElectionRecord, base: LeaseSpec = {}): LeaseSpec {
  const unmanaged: LeaseSpec = { ...base };
  delete unmanaged.holderIdentity;
  delete unmanaged.leaseDurationSeconds;
  delete unmanaged.acquireTime;
  delete unmanaged.renewTime;
  delete unmanaged.leaseTransitions;
  return {
    ...unmanaged,
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    ...(record.acquireTime !== undefined && { acquireTime: formatMicroTime(record.acquireTime) }),
    ...(record.renewTime !== undefined && { renewTime: formatMicroTime(record.renewTime) }),
    leaseTransitions: record.leaseTransitions,
  };
}

function snapshotOf(lease: Lease): LockSnapshot {
  return { record: recordFromLease(lease), lease };
}
