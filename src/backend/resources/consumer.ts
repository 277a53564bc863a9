// The objects that give one consumer its place on the provider (docs/controllers.md §3): the
// contract namespace, the singleton ClusterBinding, the `kube-binder` service account with its
// legacy token secret, role and binding, and the kubeconfig secret. Pure builders: names, labels
// and annotations here must equal upstream's, or a provider cluster upstream provisioned would be
// provisioned twice when this backend takes it over. The one addition is our owners annotation
// on the contract namespace (binding/ownership.ts).
import type { Namespace, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, PolicyRule, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { ClusterBinding } from '../../apis/kubebind/types.gen.ts';
import {
  authorAnnotation,
  clusterPrettyNameAnnotation,
  identityAnnotation,
  ownersAnnotation,
} from '../../apis/kubebind/wire.ts';
import { kubeBindAPIVersion } from '../../apis/kubebind/types.gen.ts';

/** An OIDC user, as the session names it (issuer and subject, never the client's word). */
export interface UserOwner {
  issuer: string;
  subject: string;
}

/** BindableResourcesRequests in one namespace of the provider (--frontend-disabled). */
export interface RequestNamespaceOwner {
  requestNamespace: string;
}

export type ConsumerOwner = UserOwner | RequestNamespaceOwner;

export function isUserOwner(owner: ConsumerOwner): owner is UserOwner {
  return 'subject' in owner;
}

/** The annotation value for `owners` (stable key order, so equal lists are equal strings). */
export function formatOwners(owners: readonly ConsumerOwner[]): string {
  return JSON.stringify(
    owners.map((o) =>
      isUserOwner(o)
        ? { issuer: o.issuer, subject: o.subject }
        : { requestNamespace: o.requestNamespace },
    ),
  );
}

/** The service account, its token secret, the cluster role and the role binding share it. */
export const binderName = 'kube-binder';
export const clusterBindingName = 'cluster';
export const kubeconfigSecretName = 'kubeconfig';
export const kubeconfigSecretKey = 'kubeconfig';

export interface ConsumerIdentity {
  /** The consumer cluster's identity (the CLI sends its kube-system namespace UID). */
  identity: string;
  /** Who asked: the OIDC subject, or spec.author in CRD mode. */
  author: string;
  /** A display name of the consumer cluster (v0.8.1). */
  clusterPrettyName?: string;
  /**
   * Who provisions: recorded on a new contract namespace, and required to match the record of
   * an existing one (binding/ownership.ts; docs/security.md, "A contract namespace belongs to
   * whoever provisioned it").
   */
  owner: ConsumerOwner;
}

/** Annotations with empty values are left out, as upstream does. */
function annotations(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}

export function contractNamespace(name: string, who: ConsumerIdentity): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      annotations: annotations({
        [identityAnnotation]: who.identity,
        [authorAnnotation]: who.author,
        [ownersAnnotation]: formatOwners([who.owner]),
      }),
    },
  };
}

export function clusterBinding(
  namespace: string,
  providerPrettyName: string,
  who: ConsumerIdentity,
): ClusterBinding {
  return {
    apiVersion: kubeBindAPIVersion,
    kind: 'ClusterBinding',
    metadata: {
      name: clusterBindingName,
      namespace,
      annotations: annotations({
        [identityAnnotation]: who.identity,
        [authorAnnotation]: who.author,
        [clusterPrettyNameAnnotation]: who.clusterPrettyName,
      }),
    },
    spec: {
      kubeconfigSecretRef: { name: kubeconfigSecretName, key: kubeconfigSecretKey },
      providerPrettyName,
    },
  };
}

export function binderServiceAccount(namespace: string): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: binderName, namespace } };
}

/** A legacy token secret: kube-controller-manager fills in `token` and `ca.crt`. */
export function binderTokenSecret(namespace: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      name: binderName,
      namespace,
      annotations: { 'kubernetes.io/service-account.name': binderName },
    },
  };
}

const kubeBind = 'kube-bind.io';
const rule = (apiGroup: string, resource: string, verbs: string[]): PolicyRule => ({
  apiGroups: [apiGroup],
  resources: [resource],
  verbs,
});
const readWrite = ['create', 'delete', 'patch', 'update', 'get', 'list', 'watch'];
const read = ['get', 'watch', 'list'];

/**
 * What the konnector does in its contract namespace, in upstream's order (the order matters:
 * upstream compares rules in order and would rewrite a reordered role on every bind).
 */
export const binderRules: readonly PolicyRule[] = [
  rule(kubeBind, 'apiserviceexportrequests', readWrite),
  rule('', 'namespaces', ['get']),
  rule('', 'secrets', read),
  rule(kubeBind, 'clusterbindings', read),
  rule(kubeBind, 'clusterbindings/status', ['get', 'patch', 'update']),
  rule(kubeBind, 'apiserviceexports', read),
  rule(kubeBind, 'apiserviceexports/status', ['get', 'patch', 'update']),
  rule(kubeBind, 'apiservicenamespaces', readWrite),
  rule(kubeBind, 'boundschemas', ['get', 'list', 'watch']),
  rule(kubeBind, 'boundschemas/status', ['get', 'list', 'patch', 'update']),
];

export function binderClusterRole(): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: binderName },
    rules: binderRules.map((r) => structuredClone(r)),
  };
}

export function binderRoleBinding(namespace: string): RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: binderName, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: binderName },
    subjects: [{ kind: 'ServiceAccount', name: binderName, namespace }],
  };
}

/** Whether two rule lists are the same, in order (as upstream compares them). */
export function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  const norm = (rules: readonly PolicyRule[]) =>
    JSON.stringify(
      rules.map((r) => [
        r.apiGroups ?? [],
        r.resources ?? [],
        r.verbs,
        r.resourceNames ?? [],
        r.nonResourceURLs ?? [],
      ]),
    );
  return norm(a) === norm(b);
}
