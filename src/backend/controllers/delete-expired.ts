// The act that follows an `expiry` of `delete` (finished-ttl.ts): deleting the finished request.
// Kept apart from the rule so that the decide.ts files, which import the rule, stay free of I/O.
import { NotFoundError } from '../../kube/errors.ts';
import type { KubeObject, ResourceClient } from '../../kube/resource.ts';

/**
 * Deletes an expired request, this one only: the uid precondition keeps a request re-created
 * under the same name since we read it.
 */
export async function deleteExpired<T extends KubeObject>(
  client: ResourceClient<T>,
  request: T,
  signal: AbortSignal,
): Promise<void> {
  try {
    await client.delete(request.metadata?.name ?? '', {
      preconditions: { uid: request.metadata?.uid ?? '' },
      signal,
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
