// What the cluster controller keeps (docs/controllers.md §5.1): the ClusterRole and
// ClusterRoleBinding `kube-bind-oidc-user`, which let the OIDC users the operator allowed pass
// the front door's `bind` SubjectAccessReview. Both are controlled by the Cluster object.
import type { ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Cluster } from '../../../apis/kubebind/types.gen.ts';
import { sameContent } from '../same.ts';
import { controllerRefTo } from '../../../apis/kubebind/owner.ts';

export const oidcUserName = 'kube-bind-oidc-user';

export interface AllowedUsers {
  groups: readonly string[];
  users: readonly string[];
}

export function controlledBy(cluster: Cluster): OwnerReference[] {
  return [controllerRefTo('Cluster', cluster, { blockOwnerDeletion: true })];
}

export function oidcUserRole(cluster: Cluster): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: oidcUserName, ownerReferences: controlledBy(cluster) },
    rules: [
      { apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['bind'] },
      // kcp checks `access` on these paths before a user may enter a workspace.
      { nonResourceURLs: ['/', '/api', '/api/*', '/apis', '/apis/*'], verbs: ['access'] },
    ],
  };
}

export function oidcUserBinding(cluster: Cluster, allowed: AllowedUsers): ClusterRoleBinding {
  const subjects: Subject[] = [
    ...allowed.groups.map((name) => ({ kind: 'Group', apiGroup: rbacGroup, name })),
    ...allowed.users.map((name) => ({ kind: 'User', apiGroup: rbacGroup, name })),
  ];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: oidcUserName, ownerReferences: controlledBy(cluster) },
    roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: oidcUserName },
    subjects,
  };
}

const rbacGroup = 'rbac.authorization.k8s.io';

/** Whether the live object already has what `desired` asks for (only the fields we own). */
export function roleUpToDate(live: ClusterRole, desired: ClusterRole): boolean {
  return (
    sameContent(live.rules ?? [], desired.rules ?? []) &&
    sameContent(live.metadata?.ownerReferences ?? [], desired.metadata?.ownerReferences ?? [])
  );
}

export function bindingUpToDate(live: ClusterRoleBinding, desired: ClusterRoleBinding): boolean {
  return (
    sameContent(live.subjects ?? [], desired.subjects ?? []) &&
    sameContent(live.roleRef, desired.roleRef) &&
    sameContent(live.metadata?.ownerReferences ?? [], desired.metadata?.ownerReferences ?? [])
  );
}
