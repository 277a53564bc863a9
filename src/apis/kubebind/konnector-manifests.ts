// The konnector's install objects for a consumer cluster (docs/protocol.md §3.9): namespace,
// service account, RBAC and the Deployment. The backend offers them (download, one-click apply)
// and the kubectl bind plugin applies them, so both render them from here. Upstream grants the
// konnector every verb on every resource; here its standing rights are the base role below, and
// each binding adds its own (konnector-rbac.ts).
import { isIP } from 'node:net';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
} from 'kubernetes-types/rbac/v1.js';

export const konnectorNamespace = 'kube-bind';
export const konnectorName = 'konnector';
const rbacName = 'kube-bind-konnector';

/** A pod host alias, `IP:host1,host2` on command lines and in API bodies. */
export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface KonnectorSettings {
  image: string;
  hostAliases?: readonly HostAlias[];
}

/** The seven objects, in the order they are applied. */
export interface KonnectorObjects {
  namespace: Namespace;
  serviceAccount: ServiceAccount;
  clusterRole: ClusterRole;
  clusterRoleBinding: ClusterRoleBinding;
  role: Role;
  roleBinding: RoleBinding;
  deployment: Deployment;
}

/** The konnector's default --server-address port: /healthz and /metrics. */
const healthPort = 8090;

/**
 * Pod Security "restricted": the image runs as a non-root user on a read-only root filesystem,
 * so nothing here depends on which konnector image is deployed (upstream's runs as 65532 too).
 */
const podSecurity = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

const all = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * What the konnector needs whatever it binds: its own kinds, creating the CRDs of bound
 * resources (RBAC cannot restrict creation by name; updates are per binding), namespaces (it
 * creates those the provider pre-seeds), events, and its access reviews.
 */
export const konnectorBaseRules: readonly PolicyRule[] = [
  {
    apiGroups: ['kube-bind.io'],
    resources: ['apiservicebindings', 'apiservicebindingbundles'],
    verbs: all,
  },
  {
    apiGroups: ['kube-bind.io'],
    resources: ['apiservicebindings/status', 'apiservicebindingbundles/status'],
    verbs: ['get', 'update', 'patch'],
  },
  {
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: ['get', 'list', 'watch', 'create'],
  },
  {
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    resourceNames: ['apiservicebindings.kube-bind.io', 'apiservicebindingbundles.kube-bind.io'],
    verbs: ['update', 'patch'],
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
];

/** In its own namespace: the provider kubeconfig Secrets (rotation updates them) and the Lease. */
export const konnectorNamespaceRules: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'update'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'list', 'watch', 'create', 'update'],
  },
];

export function konnectorObjects(settings: KonnectorSettings): KonnectorObjects {
  const labels = { app: konnectorName };
  const hostAliases = settings.hostAliases ?? [];
  return {
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: konnectorNamespace } },
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: konnectorName, namespace: konnectorNamespace },
    },
    clusterRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: rbacName },
      rules: konnectorBaseRules.map((r) => structuredClone(r)),
    },
    clusterRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: rbacName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacName },
      subjects: [{ kind: 'ServiceAccount', name: konnectorName, namespace: konnectorNamespace }],
    },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: rbacName, namespace: konnectorNamespace },
      rules: konnectorNamespaceRules.map((r) => structuredClone(r)),
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: rbacName, namespace: konnectorNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rbacName },
      subjects: [{ kind: 'ServiceAccount', name: konnectorName, namespace: konnectorNamespace }],
    },
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: konnectorName, namespace: konnectorNamespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Always',
            serviceAccountName: konnectorName,
            securityContext: podSecurity,
            ...(hostAliases.length > 0 && {
              hostAliases: hostAliases.map((a) => ({ ip: a.ip, hostnames: [...a.hostnames] })),
            }),
            containers: [
              {
                name: konnectorName,
                image: settings.image,
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  {
                    name: 'POD_NAMESPACE',
                    valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                  },
                ],
                // Declared so that the scheduler sees the port where pods share the node's
                // network (hostNetwork): two replicas then never land on one node.
                ports: [{ name: 'http', containerPort: healthPort, protocol: 'TCP' }],
                readinessProbe: { httpGet: { path: '/healthz', port: healthPort } },
                securityContext: containerSecurity,
                resources: { requests: { cpu: '20m', memory: '128Mi' } },
              },
            ],
          },
        },
      },
    },
  };
}

/** `IP:host1,host2` → the alias; undefined when it is not of that form. */
export function parseHostAlias(raw: string): HostAlias | undefined {
  const colon = raw.indexOf(':');
  if (colon === -1) return undefined;
  const ip = raw.slice(0, colon);
  const hostnames = raw
    .slice(colon + 1)
    .split(',')
    .filter((h) => h !== '');
  // The IP ends at the first ':', so only IPv4 addresses can be written this way.
  return isIP(ip) === 4 && hostnames.length > 0 ? { ip, hostnames } : undefined;
}
