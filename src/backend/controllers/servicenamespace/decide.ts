// The servicenamespace controller's own decision (docs/controllers.md §5.6), pure: whether a
// consumer may have one more service namespace. Which namespace may serve is shared with the
// controllers that place and grant in it (../service-namespaces.ts).
import { contractOf, type TargetVerdict } from '../service-namespaces.ts';

/**
 * How many service namespaces one consumer may have. Each APIServiceNamespace a consumer creates
 * makes the backend create a namespace; without a bound, anyone with an issued kubeconfig could
 * fill the provider with namespaces. A consumer uses one per consumer namespace it binds in.
 */
export const maxServiceNamespaces = 1000;

/**
 * Whether one more service namespace may be created for the consumer of `serving`, which has
 * `served` already. Checked only before the first one is recorded: a recorded one is kept.
 */
export function checkQuota(
  serving: string,
  served: number,
  quota = maxServiceNamespaces,
): TargetVerdict {
  if (served < quota) return { ok: true };
  return {
    ok: false,
    reason: 'TooManyNamespaces',
    message: `${serving} gets no service namespace: consumer ${contractOf(serving)} has ${served} already, the most one consumer may have (${quota}); delete APIServiceNamespaces that are no longer used`,
  };
}
