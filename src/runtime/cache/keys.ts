// Cache keys. A key names an object within what one informer watches: `namespace/name`, or `name`
// for cluster-scoped objects. Behind a kcp wildcard watch, objects from many logical clusters
// share names, so keys there are prefixed with the cluster (`<cluster>|namespace/name`).
import type { KubeObject } from '../../kube/resource.ts';

/** The annotation kcp sets on every object to name its logical cluster. */
export const clusterAnnotation = 'kcp.io/cluster';

export type KeyFunc = (obj: KubeObject) => string;

export function namespacedKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** `namespace/name` or `name`. */
export const objectKey: KeyFunc = (obj) => {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object without metadata.name cannot be cached');
  return namespacedKey(obj.metadata?.namespace, name);
};

/** The logical cluster an object belongs to ('' outside kcp). */
export function clusterOf(obj: KubeObject): string {
  return obj.metadata?.annotations?.[clusterAnnotation] ?? '';
}

/** `<cluster>|namespace/name` when the object names a cluster, else objectKey. */
export const clusterAwareKey: KeyFunc = (obj) => {
  const cluster = clusterOf(obj);
  return cluster ? `${cluster}|${objectKey(obj)}` : objectKey(obj);
};

/** Splits a key back into its parts. */
export function splitKey(key: string): { cluster: string; namespace: string; name: string } {
  const bar = key.indexOf('|');
  const cluster = bar >= 0 ? key.slice(0, bar) : '';
  const rest = bar >= 0 ? key.slice(bar + 1) : key;
  const slash = rest.indexOf('/');
  return slash >= 0
    ? { cluster, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) }
    : { cluster, namespace: '', name: rest };
}
