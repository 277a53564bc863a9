// A controller owner reference to a kube-bind.io object, one shape for every place that makes one.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { kubeBindAPIVersion } from './types.gen.ts';

/**
 * `owner` (of `kind`, kube-bind.io/v1alpha2) as the controller of the object that carries it.
 * `blockOwnerDeletion` only where the writer may set it: the apiserver asks for update on the
 * owner's finalizers, which the backend has and the konnector does not.
 */
export function controllerRefTo(
  kind: string,
  owner: { metadata?: { name?: string; uid?: string } },
  { blockOwnerDeletion = false }: { blockOwnerDeletion?: boolean } = {},
): OwnerReference {
  return {
    apiVersion: kubeBindAPIVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    ...(blockOwnerDeletion && { blockOwnerDeletion: true }),
  };
}
