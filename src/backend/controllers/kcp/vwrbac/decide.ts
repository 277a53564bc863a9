// The decisions of the vwrbac controller (docs/controllers.md §6.4): kcp serves a workspace's
// bound APIResourceSchemas through the apiresourceschema virtual workspace only to who may read
// that workspace's APIBindings (and enter it). So every engaged workspace gets a ClusterRole
// granting exactly that, bound to the backend's own identity, as kcp's authorizer sees it.
import type { UserInfo } from 'kubernetes-types/authentication/v1.js';
import type { ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { managedByLabel } from '../../../../apis/kubebind/wire.ts';
import { sameContent } from '../../same.ts';

export const vwReaderName = 'kube-bind-vw-apibinding-reader';

/**
 * Marks the two objects so an informer can select them. A `metadata.name` field selector would be
 * the obvious way, but through kcp's APIExport virtual workspace it matches nothing (kcp 0.31);
 * label selectors work. Objects made before (without it) get it on their first correction.
 */
export const vwRBACManager = 'kube-bind-backend-vwrbac';
const metadata = { name: vwReaderName, labels: { [managedByLabel]: vwRBACManager } };

const serviceAccountPrefix = 'system:serviceaccount:';
/** kcp names the logical cluster of a service account's token in this user extra. */
export const clusterNameExtra = 'authentication.kcp.io/cluster-name';

/**
 * The RBAC subject kcp matches for `user` in other workspaces. A service account is only itself
 * in its own workspace; elsewhere kcp knows it as the user
 * `system:kcp:serviceaccount:<cluster>:<namespace>:<name>`.
 */
export function subjectOf(user: UserInfo): Subject {
  const username = user.username ?? '';
  if (username === '') throw new Error('the SelfSubjectReview names no user');
  const cluster = user.extra?.[clusterNameExtra]?.[0];
  let name = username;
  if (username.startsWith(serviceAccountPrefix) && cluster) {
    const [namespace, sa] = username.slice(serviceAccountPrefix.length).split(':');
    if (namespace && sa) name = `system:kcp:serviceaccount:${cluster}:${namespace}:${sa}`;
  }
  return { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name };
}

export function desiredRole(): ClusterRole {
  return {
    metadata: structuredClone(metadata),
    rules: [
      // Entering the workspace at all.
      { nonResourceURLs: ['/'], verbs: ['access'] },
      { apiGroups: ['apis.kcp.io'], resources: ['apibindings'], verbs: ['get', 'list', 'watch'] },
    ],
  };
}

export function desiredBinding(subject: Subject): ClusterRoleBinding {
  return {
    metadata: structuredClone(metadata),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: vwReaderName },
    subjects: [subject],
  };
}

const labelled = (obj: ClusterRole | ClusterRoleBinding): boolean =>
  obj.metadata?.labels?.[managedByLabel] === vwRBACManager;

function withLabel<T extends ClusterRole | ClusterRoleBinding>(obj: T): T {
  const labels = { ...obj.metadata?.labels, [managedByLabel]: vwRBACManager };
  return { ...obj, metadata: { ...obj.metadata, labels } };
}

/** The live role with the desired rules and label, or undefined if it has them. */
export function roleUpdate(live: ClusterRole, desired: ClusterRole): ClusterRole | undefined {
  if (sameContent(live.rules, desired.rules) && labelled(live)) return undefined;
  return withLabel({ ...live, rules: desired.rules ?? [] });
}

export type BindingAction =
  | { kind: 'none' }
  | { kind: 'update'; binding: ClusterRoleBinding }
  /** The roleRef of a binding cannot change: it is deleted and made anew. */
  | { kind: 'replace' };

export function bindingAction(
  live: ClusterRoleBinding,
  desired: ClusterRoleBinding,
): BindingAction {
  if (!sameContent(live.roleRef, desired.roleRef)) return { kind: 'replace' };
  if (sameContent(live.subjects, desired.subjects) && labelled(live)) return { kind: 'none' };
  return { kind: 'update', binding: withLabel({ ...live, subjects: desired.subjects ?? [] }) };
}
