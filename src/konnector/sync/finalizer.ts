// Sets or drops one finalizer with a merge patch guarded by the resourceVersion read, so a
// concurrent change to the list makes the patch fail (and the reconcile retry) instead of
// overwriting someone else's finalizer.
import { PatchType } from '../../kube/client.ts';
import { ignoreNotFound } from '../../kube/errors.ts';
import type { KubeObject, ResourceClient } from '../../kube/resource.ts';
import { finalizersWith } from '../finalizer-list.ts';

/** The updated object, or undefined when it is gone. */
export function patchFinalizer<T extends KubeObject>(
  client: ResourceClient<T>,
  obj: T,
  finalizer: string,
  present: boolean,
  signal: AbortSignal,
): Promise<T | undefined> {
  const metadata = {
    resourceVersion: obj.metadata?.resourceVersion ?? '',
    finalizers: finalizersWith(obj, present, finalizer),
  };
  return ignoreNotFound(
    client.patch(obj.metadata?.name ?? '', PatchType.merge, { metadata }, { signal }),
  );
}
