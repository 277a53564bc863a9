// Writes some fields of a status that others write too: a JSON merge patch of `/status` guarded by
// the resourceVersion the caller read. A concurrent writer makes the patch fail with a Conflict,
// the caller retries from fresh state, and nobody's fields are overwritten with stale values.
import { PatchType } from './client.ts';
import type { KubeObject, ResourceClient } from './resource.ts';

export async function patchStatusGuarded<T extends KubeObject>(
  resource: ResourceClient<T>,
  obj: T,
  status: Readonly<Record<string, unknown>>,
  signal?: AbortSignal,
): Promise<T> {
  return resource.patch(
    obj.metadata?.name ?? '',
    PatchType.merge,
    { metadata: { resourceVersion: obj.metadata?.resourceVersion }, status },
    { subresource: 'status', ...(signal && { signal }) },
  );
}
