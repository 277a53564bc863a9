// Least-privilege consumer-side RBAC for one APIServiceBinding (differences.md item 14: upstream
// grants the konnector `*/*/*`). The konnector's standing permissions are its base role
// (konnector-manifests.ts: its own kinds, creating CRDs, namespaces, events, its Secrets and
// Lease); everything a binding adds comes from one ClusterRole and ClusterRoleBinding per
// binding, named and labelled after it, bound to the konnector's service account:
//
// - the bound resources (and their `/status`) in their groups;
// - the consumer CRDs of those resources (installed from the BoundSchemas): update and delete by
//   name (creating is in the base role: RBAC cannot restrict creation by name);
// - the claimed resources (configmaps, secrets, serviceaccounts in the core group), only those
//   the export claims (claimed objects flow both ways, so the konnector reads the
//   consumer's objects and writes the copies of the provider's): get/list/watch/create/update/
//   delete (what the claim syncer does; no patch) on the resource when a claim selects by label or
//   by reference; when every claim of a resource names its objects, get/list/watch/update/delete
//   on those names only (`resourceNames`) and `create` on the
//   resource, because RBAC cannot restrict creation by name (the request has no name to match).
//   These are cluster-wide, like the bound resources: the consumer namespaces a binding maps are
//   wherever the consumer creates bound objects, known only at run time, and a Role per namespace
//   would have to be created by the konnector, i.e. with the RBAC `bind` verb on its own role in
//   every namespace, which confines nothing a compromised konnector could not undo.
//
// Whoever creates the binding with a cluster admin's rights applies them (the kubectl bind plugin;
// the backend's one-click apply for a bundle), owned by the binding (or bundle), so the garbage
// collector removes them with it. The konnector cannot grant them itself: that would need the
// RBAC `escalate` and `bind` verbs, i.e. the power to grant itself anything. Nothing is a
// wildcard. Pure.
import { createHash } from 'node:crypto';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { APIServiceExportResource, PermissionClaim } from './types.gen.ts';
import { claimableResources, konnectorBindingAnnotation, konnectorBindingLabel } from './wire.ts';
import { byCodeUnits } from '../order.ts';
export const namePrefix = 'kube-bind-konnector-';

/** The konnector's service account (`kube-bind/konnector`). */
export const defaultServiceAccount = { namespace: 'kube-bind', name: 'konnector' } as const;

const allVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const writeByName = ['get', 'update', 'patch'];
/**
 * Claimed objects: what the claim syncer does (read, create, update, delete; no patch, no
 * deletecollection); named by a claim, those verbs on the names, `create` not (no name to match).
 */
const claimVerbs = ['get', 'list', 'watch', 'create', 'update', 'delete'];
const byNameVerbs = ['get', 'list', 'watch', 'update', 'delete'];

export interface KonnectorRBACInput {
  /** The APIServiceBinding name. */
  binding: string;
  /** The export's `spec.resources`. */
  resources: readonly APIServiceExportResource[];
  /** The export's `spec.permissionClaims` (only group and resource matter). */
  permissionClaims?: readonly ClaimRef[];
  /** Defaults to `kube-bind/konnector`. */
  serviceAccount?: { namespace: string; name: string };
  /** The APIServiceBinding (or the bundle that makes it): the RBAC goes with it. */
  owner?: OwnerReference;
}

export type ClaimRef = Pick<PermissionClaim, 'group' | 'resource'> &
  Partial<Pick<PermissionClaim, 'selector'>>;

export interface KonnectorRBAC {
  clusterRole: ClusterRole;
  clusterRoleBinding: ClusterRoleBinding;
}

/** Whether a claim is one the konnector may be granted (core configmaps/secrets/serviceaccounts). */
export function isClaimable(claim: Pick<PermissionClaim, 'group' | 'resource'>): boolean {
  // Claims of anything but the claimable resources (all of group `""`) are not granted.
  return !claim.group && claimableResources.some((c) => c.resource === claim.resource);
}

/** The claims the builder leaves out (to surface on the binding, e.g. as a condition message). */
export function unsupportedClaims<T extends Pick<PermissionClaim, 'group' | 'resource'>>(
  claims: readonly T[] = [],
): T[] {
  return claims.filter((c) => !isClaimable(c));
}

/** `name` shortened to `max` characters with a hash suffix when longer; unchanged otherwise. */
function bounded(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9)}-${hash}`;
}

/** `kube-bind-konnector-<binding>`, hashed to stay a valid object name. */
export function rbacName(binding: string): string {
  return bounded(namePrefix + binding, 253);
}

/** The `konnector.kube-bind.io/binding` label value of a binding (63 characters at most). */
export function bindingLabelValue(binding: string): string {
  return bounded(binding, 63);
}

const validResource = /^[a-z][-a-z0-9]*[a-z0-9]$|^[a-z]$/;

/** Group → sorted resources, without duplicates. */
function byGroup(
  refs: readonly Pick<APIServiceExportResource, 'group' | 'resource'>[],
): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (!validResource.test(ref.resource)) {
      throw new Error(`invalid resource name ${JSON.stringify(ref.resource)}`);
    }
    const group = ref.group ?? '';
    if (group.includes('*')) throw new Error(`invalid group ${JSON.stringify(group)}`);
    let set = groups.get(group);
    if (!set) groups.set(group, (set = new Set()));
    set.add(ref.resource);
  }
  return new Map(
    [...groups].sort(([a], [b]) => byCodeUnits(a, b)).map(([g, s]) => [g, [...s].sort()]),
  );
}

/**
 * Whether a bound resource's group can be a CustomResourceDefinition the konnector installs:
 * a DNS name with a dot, outside Kubernetes' own `k8s.io` groups and kube-bind's. Anything else
 * (the core group, `apps`, `rbac.authorization.k8s.io`, …) would grant the provider's export
 * every verb on the consumer's built-in objects: refused (docs/security.md, "Smaller ones").
 */
export function isBindableGroup(group: string): boolean {
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
  if (group.length > 253 || !dns.test(group)) return false;
  return group !== 'k8s.io' && !group.endsWith('.k8s.io') && group !== 'kube-bind.io';
}

/** The rules of one binding's ClusterRole, in a stable order. */
export function konnectorRules(
  input: Pick<KonnectorRBACInput, 'binding' | 'resources' | 'permissionClaims'>,
): PolicyRule[] {
  if (!input.binding) throw new Error('binding name is empty');
  for (const ref of input.resources) {
    if (!isBindableGroup(ref.group ?? '')) {
      throw new Error(
        `bound resource ${ref.resource}.${ref.group ?? ''} is not a custom resource the konnector ` +
          'may be granted (its group must be a DNS name with a dot, outside k8s.io and kube-bind.io)',
      );
    }
  }
  const rules: PolicyRule[] = [];
  const bound = byGroup(input.resources);
  for (const [group, resources] of bound) {
    rules.push({ apiGroups: [group], resources, verbs: [...allVerbs] });
    rules.push({
      apiGroups: [group],
      resources: resources.map((r) => `${r}/status`),
      verbs: [...writeByName],
    });
  }
  // Core-group resources are built in, not CRDs.
  const crdNames = [...bound]
    .filter(([group]) => group !== '')
    .flatMap(([group, resources]) => resources.map((r) => `${r}.${group}`));
  if (crdNames.length > 0) {
    // Creating, listing and watching CRDs is in the base role; updates and deletes by name here.
    rules.push({
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      resourceNames: crdNames.sort(),
      verbs: ['get', 'update', 'patch', 'delete'],
    });
  }
  rules.push(...claimRules(input.permissionClaims ?? []));
  return rules;
}

/** A claimed object named by a claim (no namespace: that name in any namespace). */
export interface NamedTarget {
  name: string;
  namespace?: string;
}

const objectName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The objects a claim selects when it selects by name only (no label selector, no references);
 * undefined otherwise, when the konnector has to see every object of the resource to select.
 * The konnector then watches just these names, and is granted just these (`resourceNames`).
 */
export function namedOnly(selector: ClaimRef['selector']): NamedTarget[] | undefined {
  if (!selector) return undefined;
  const labels = selector.labelSelector;
  const byLabel =
    !!labels &&
    (Object.keys(labels.matchLabels ?? {}).length > 0 ||
      (labels.matchExpressions ?? []).length > 0);
  const named = selector.namedResources ?? [];
  if (byLabel || (selector.references ?? []).length > 0 || named.length === 0) return undefined;
  if (!named.every((n) => n.name.length <= 253 && objectName.test(n.name))) return undefined;
  return named.map((n) => ({ name: n.name, ...(n.namespace && { namespace: n.namespace }) }));
}

/**
 * Rights on the claimed core resources, read and write (claimed objects flow both ways): on the
 * resource unless every claim of it names its objects; then the names only, and
 * `create` on the resource (RBAC checks `create` without a name: `resourceNames` never matches it).
 */
function claimRules(claims: readonly ClaimRef[]): PolicyRule[] {
  const whole = new Set<string>();
  const names = new Map<string, Set<string>>();
  for (const claim of claims.filter(isClaimable)) {
    if (!validResource.test(claim.resource)) {
      throw new Error(`invalid resource name ${JSON.stringify(claim.resource)}`);
    }
    const targets = namedOnly(claim.selector);
    if (!targets) {
      whole.add(claim.resource);
      continue;
    }
    let set = names.get(claim.resource);
    if (!set) names.set(claim.resource, (set = new Set()));
    for (const t of targets) set.add(t.name);
  }
  const rules: PolicyRule[] = [];
  if (whole.size > 0) {
    rules.push({ apiGroups: [''], resources: [...whole].sort(), verbs: [...claimVerbs] });
  }
  const named = [...names]
    .filter(([resource]) => !whole.has(resource))
    .sort(([a], [b]) => byCodeUnits(a, b));
  if (named.length > 0) {
    rules.push({ apiGroups: [''], resources: named.map(([r]) => r), verbs: ['create'] });
  }
  for (const [resource, set] of named) {
    rules.push({
      apiGroups: [''],
      resources: [resource],
      resourceNames: [...set].sort(),
      verbs: [...byNameVerbs],
    });
  }
  return rules;
}

/** The ClusterRole and ClusterRoleBinding of one binding. */
export function konnectorRBAC(input: KonnectorRBACInput): KonnectorRBAC {
  const name = rbacName(input.binding);
  const sa = input.serviceAccount ?? defaultServiceAccount;
  const metadata = () => ({
    name,
    labels: { [konnectorBindingLabel]: bindingLabelValue(input.binding) },
    annotations: { [konnectorBindingAnnotation]: input.binding },
    ...(input.owner && { ownerReferences: [{ ...input.owner }] }),
  });
  return {
    clusterRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(),
      rules: konnectorRules(input),
    },
    clusterRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: metadata(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name }],
    },
  };
}
