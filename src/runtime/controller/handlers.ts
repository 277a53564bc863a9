// How events become requests. A watch pairs an informer with a mapper from an object to the
// objects to reconcile (itself, its owner, or anything a custom function finds) and an optional
// filter. Updates enqueue the mapping of both the old and the new object, so a change that moves
// an object away from an owner still wakes the old owner.
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import type { Informer } from '../cache/informer.ts';
import type { ObjectRef } from './request.ts';

export type MapFunc<T extends KubeObject> = (obj: T) => readonly ObjectRef[];

export interface Watch<T extends KubeObject = KubeObject> {
  informer: Informer<T>;
  /** Default: the object itself. */
  map?: MapFunc<T>;
  /** Drop events whose new object fails this test (e.g. only changes of spec). */
  filter?: (obj: T, old?: T) => boolean;
}

/** Builds a Watch with its types tied together. */
export function watch<T extends KubeObject>(
  informer: Informer<T>,
  opts: Omit<Watch<T>, 'informer'> = {},
): Watch {
  return { informer, ...opts } as unknown as Watch;
}

/** The object itself. */
export function forObject<T extends KubeObject>(): MapFunc<T> {
  return (obj) => {
    const name = obj.metadata?.name;
    return name ? [{ namespace: obj.metadata?.namespace, name }] : [];
  };
}

/**
 * The object's owners of `owner`'s kind (its controller only, unless `allOwners`). Namespaced
 * owners live in the object's namespace, as owner references cannot cross namespaces.
 */
export function forOwner<T extends KubeObject>(
  owner: ResourceType,
  { allOwners = false } = {},
): MapFunc<T> {
  return (obj) =>
    (obj.metadata?.ownerReferences ?? [])
      .filter((ref) => ref.kind === owner.kind && groupOf(ref.apiVersion) === owner.group)
      .filter((ref) => allOwners || ref.controller === true)
      .map((ref) => ({
        namespace: owner.namespaced ? obj.metadata?.namespace : undefined,
        name: ref.name,
      }));
}

/** Only events where metadata.generation changed (spec changes for most resources). */
export function generationChanged<T extends KubeObject>(obj: T, old?: T): boolean {
  return old === undefined || old.metadata?.generation !== obj.metadata?.generation;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash >= 0 ? apiVersion.slice(0, slash) : '';
}
