// BindableResourcesRequest uses metav1.Condition (unlike the other kinds): the transition time
// moves only when the status changes, and observedGeneration says which spec was seen.
import type { MetaCondition } from '../../../apis/kubebind/types.gen.ts';
import { formatTime } from '../../../kube/time.ts';

export function setMetaCondition(
  conditions: readonly MetaCondition[],
  next: Omit<MetaCondition, 'lastTransitionTime'>,
  now: number,
): MetaCondition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : formatTime(now);
  const updated = { ...next, lastTransitionTime };
  return [...conditions.filter((c) => c.type !== next.type), updated];
}

/** The BindingResourceResponse the secret carries (spec protocol.md §5.2), kubeconfig only. */
export function bindingResponse(kubeconfig: string): string {
  return JSON.stringify({
    apiVersion: 'kube-bind.io/v1alpha2',
    kind: 'BindingResourceResponse',
    authentication: { oauth2CodeGrant: null },
    kubeconfig: Buffer.from(kubeconfig).toString('base64'),
    requests: null,
  });
}
