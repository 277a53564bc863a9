// An object's finalizer list, read and changed as pure functions: shared by the syncers (the
// downstream finalizer on consumer objects) and the servicebinding controller (its unbind
// finalizer), so neither imports the other's decide.ts for it.
import { downstreamFinalizer } from '../apis/kubebind/wire.ts';
import type { KubeObject } from '../kube/resource.ts';

export function hasFinalizer(obj: KubeObject, finalizer = downstreamFinalizer): boolean {
  return (obj.metadata?.finalizers ?? []).includes(finalizer);
}

/** The finalizer list with `finalizer` added or removed. */
export function finalizersWith(
  obj: KubeObject,
  present: boolean,
  f = downstreamFinalizer,
): string[] {
  const rest = (obj.metadata?.finalizers ?? []).filter((x) => x !== f);
  return present ? [...rest, f] : rest;
}
