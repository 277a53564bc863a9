// Leader election as the manager uses it: run the controllers only while holding the lease.
import type { LeaderGate } from '../manager/leader.ts';
import { LeaderElector } from './elector.ts';
import type { LeaderElectorOptions } from './elector.ts';

/** Omit that keeps the union of lock sources intact. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type LeaseGateOptions = DistributiveOmit<
  LeaderElectorOptions,
  'onStartedLeading' | 'onStoppedLeading'
> & { onStoppedLeading?: () => void };

/** A gate that holds a Lease while the work runs; loss rejects with LeadershipLostError. */
export function leaseGate(opts: LeaseGateOptions): LeaderGate {
  return {
    run: (signal, lead) =>
      new LeaderElector({
        ...opts,
        onStartedLeading: lead,
        onStoppedLeading: opts.onStoppedLeading ?? (() => undefined),
      }).run(signal),
  };
}
