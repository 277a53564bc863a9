// Which RBAC objects give one consumer's konnector access to what one export carries
// (docs/controllers.md §5.4), decided from the export, the backend's consumer scope and the
// consumer's service namespaces. Unlike upstream, every object is per consumer and per export:
// upstream aggregates all consumers' rules into one ClusterRole bound by one ClusterRoleBinding
// whose single subject is whichever consumer was reconciled last (differences.md item 6).
//
// - Namespaced consumer scope, namespaced resources: a Role and RoleBinding in the contract
//   namespace and in each service namespace (the konnector watches exactly those).
// - Cluster consumer scope, or cluster-scoped resources: a ClusterRole and ClusterRoleBinding (the
//   konnector watches cluster-wide).
// - Claims (configmaps, secrets, serviceaccounts) are granted only per namespace, in the contract
//   namespace and the consumer's service namespaces, whatever the consumer scope. Upstream grants
//   them cluster-wide with `--consumer-scope=Cluster`: a consumer claiming secrets could then read
//   every Secret of the provider cluster. (A konnector that watches claimed objects cluster-wide,
//   as upstream's does with Cluster scope, cannot sync claims then; ours watches per namespace.)
// - Claims are granted read, create, update and delete (no patch): the konnector writes the copies
//   of the consumer's objects there and reads the provider's (claimed objects flow both ways).
//   RBAC cannot tell the two apart by their
//   `kube-bind.io/owner` label; the ValidatingAdmissionPolicy of admission-policy.ts refuses
//   consumer writes to the provider's objects.
// - The service namespaces passed in must be the ones created for this consumer (the controller
//   checks their annotation); nothing is ever granted in another namespace.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { resourceGroupName, sameGroupResource } from '../../../apis/kubebind/group-resource.ts';
import type { APIServiceExport, InformerScope } from '../../../apis/kubebind/types.gen.ts';
import { claimableResources } from '../../../apis/kubebind/wire.ts';
import { binderName } from '../../resources/consumer.ts';
import { byCodeUnits } from '../../../apis/order.ts';

export const managedValue = 'kube-bind-backend';

const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/**
 * Claimed objects: read (the provider's and the copies), create, update and delete the copies of
 * the consumer's. Neither konnector (ours, upstream's) patches claimed objects or deletes them by
 * collection.
 */
const claimVerbs = ['get', 'list', 'watch', 'create', 'update', 'delete'];

export interface DesiredRole {
  /** Absent for cluster-scoped roles. */
  namespace?: string;
  name: string;
  rules: PolicyRule[];
}

export interface RBACInput {
  export: APIServiceExport;
  consumerScope: InformerScope;
  /** Whether each exported resource is namespaced on the provider (from its BoundSchema). */
  namespacedResource: (resource: string, group: string) => boolean;
  serviceNamespaces: readonly string[];
}

/** The roles (each bound to the consumer's `kube-binder` service account under the same name). */
export function desiredRoles(input: RBACInput): DesiredRole[] {
  const exp = input.export;
  const contract = exp.metadata?.namespace ?? '';
  const exportName = exp.metadata?.name ?? '';
  const resources = exp.spec.resources.map((r) => ({ group: r.group ?? '', resource: r.resource }));
  const claims = (exp.spec.permissionClaims ?? [])
    .map((c) => ({ group: c.group ?? '', resource: c.resource }))
    .filter((c) => claimableResources.some((k) => sameGroupResource(k, c)));

  const clusterWide = (gr: { group: string; resource: string }) =>
    input.consumerScope === 'Cluster' || !input.namespacedResource(gr.resource, gr.group);
  const namespaces = [...new Set([contract, ...input.serviceNamespaces])].sort();

  const roles: DesiredRole[] = [];
  const add = (
    kind: 'resources' | 'claims',
    list: { group: string; resource: string }[],
    wide: (gr: { group: string; resource: string }) => boolean,
  ) => {
    const ruleVerbs = kind === 'claims' ? claimVerbs : verbs;
    const rulesFor = (l: { group: string; resource: string }[]) => rulesWith(l, ruleVerbs);
    const cluster = rulesFor(list.filter(wide));
    if (cluster.length > 0) {
      roles.push({ name: `kube-binder-${kind}-${contract}-${exportName}`, rules: cluster });
    }
    const local = rulesFor(list.filter((gr) => !wide(gr)));
    if (local.length === 0) return;
    for (const namespace of namespaces) {
      roles.push({ namespace, name: `kube-binder-${kind}-${exportName}`, rules: local });
    }
  };
  add('resources', resources, clusterWide);
  // Claimed core resources are always namespaced, and granted only per namespace.
  add('claims', claims, () => false);
  return roles;
}

/** One rule per group and resource, sorted by `<resource>.<group>`, duplicates collapsed. */
function rulesWith(
  list: { group: string; resource: string }[],
  ruleVerbs: readonly string[],
): PolicyRule[] {
  const byName = new Map(list.map((gr) => [resourceGroupName(gr), gr]));
  return [...byName.entries()]
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([, gr]) => ({ apiGroups: [gr.group], resources: [gr.resource], verbs: [...ruleVerbs] }));
}

/** The subject every role is bound to: the consumer's service account. */
export function binderSubject(contract: string) {
  return { kind: 'ServiceAccount', name: binderName, namespace: contract };
}
