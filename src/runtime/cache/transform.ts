// What an informer keeps of an object. controller-runtime's caches drop fields no controller reads
// as objects are decoded; so do ours. `metadata.managedFields` (server-side apply bookkeeping) is
// often the largest part of an object and nothing here reads it, so every cache drops it by
// default. Writes built from a cached object lose nothing: an update without managedFields keeps
// the server's (Kubernetes never resets them from an absent or empty list).
import type { KubeObject } from '../../kube/resource.ts';

/**
 * Maps an object as listed or watched to what the cache keeps. It may return its argument, and
 * must not change it in place (the object may be shared with the caller of a list).
 */
export type TransformFunc<T extends KubeObject = KubeObject> = (obj: T) => T;

/** Keeps the object as it is. */
export const keepAll = <T extends KubeObject>(obj: T): T => obj;

/**
 * The object without `metadata.managedFields`; the same object when it has none. A copy, not a
 * `delete`, so neither the caller's object changes nor the metadata turns into a slow dictionary.
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  const metadata = obj.metadata;
  if (metadata === undefined || !('managedFields' in metadata)) return obj;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out on purpose
  const { managedFields, ...rest } = metadata;
  return { ...obj, metadata: rest };
}
