// Writes a controller's conditions into a status that others write too (the konnector owns most
// of it): a JSON merge patch of `/status` carrying the whole condition list as read plus our
// changes, guarded by the resourceVersion we read. A concurrent writer makes the patch fail with a
// conflict, the controller retries from fresh state, and nobody's fields are overwritten.
import type { Condition } from '../../apis/kubebind/conditions.ts';
import type { KubeObject } from '../../kube/resource.ts';
import type { ResourceClient } from '../../kube/resource.ts';
import { patchStatusGuarded } from '../../kube/status-patch.ts';

const { isDeepStrictEqual } = process.getBuiltinModule('node:util');

/** Patches when `next` differs from `current`; returns whether it wrote. */
export async function patchConditions<T extends KubeObject>(
  resource: ResourceClient<T>,
  obj: T,
  current: readonly Condition[],
  next: readonly Condition[],
  signal?: AbortSignal,
): Promise<boolean> {
  if (isDeepStrictEqual(next, current)) return false;
  await patchStatusGuarded(resource, obj, { conditions: next }, signal);
  return true;
}
