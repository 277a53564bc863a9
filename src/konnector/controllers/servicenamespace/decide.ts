// The servicenamespace controller's decision, pure: what one APIServiceNamespace needs, given
// its consumer namespace. Provider-owned ones bring their consumer namespace; the konnector's own
// go once their consumer namespace does.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type * as kb from '../../../apis/kubebind/types.gen.ts';
import { ownerLabel } from '../../../apis/kubebind/wire.ts';

export type NamespaceAction = 'create-consumer-namespace' | 'delete-service-namespace' | 'none';

/** What to do about one APIServiceNamespace, given whether its consumer namespace exists. */
export function namespaceAction(
  sn: kb.APIServiceNamespace,
  consumerNamespace: Namespace | undefined,
): NamespaceAction {
  if (sn.metadata?.deletionTimestamp) return 'none';
  const providerOwned = sn.metadata?.labels?.[ownerLabel] === 'provider';
  if (providerOwned) return consumerNamespace ? 'none' : 'create-consumer-namespace';
  const gone = !consumerNamespace || !!consumerNamespace.metadata?.deletionTimestamp;
  return gone ? 'delete-service-namespace' : 'none';
}
