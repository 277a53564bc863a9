// Finished requests (BindableResourcesRequests, APIServiceExportRequests) are deleted a while after
// they finish, as upstream's are; what they made stays. One rule for both kinds: the TTL counts
// from a timestamp the request carries, and the time is passed in, so the rule is pure.
import { NotFoundError } from '../../kube/errors.ts';
import type { KubeObject, ResourceClient } from '../../kube/resource.ts';

export type Expiry =
  /** No TTL applies (none set, or no start time to count from): the request stays. */
  | { kind: 'keep' }
  /** Not yet: look again when the TTL ends. */
  | { kind: 'wait'; afterMs: number }
  | { kind: 'delete' };

/** Whether a request finished at `since` (RFC 3339) has outlived `ttlMs` at `now`. */
export function expiry(since: string | undefined, ttlMs: number | undefined, now: number): Expiry {
  const start = Date.parse(since ?? '');
  if (ttlMs === undefined || Number.isNaN(start)) return { kind: 'keep' };
  const remaining = start + ttlMs - now;
  return remaining > 0 ? { kind: 'wait', afterMs: remaining } : { kind: 'delete' };
}

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
