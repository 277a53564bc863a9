// The konnector's install objects for a consumer cluster (spec protocol.md §3.9): namespace,
// service account, RBAC and the Deployment. The backend offers them (download, one-click apply)
// and the kubectl bind plugin applies them, so both render them from here. Upstream grants the
// konnector every verb on every resource; the per-binding least-privilege RBAC is the konnector's
// own (src/konnector/rbac.ts).
import { isIP } from 'node:net';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';

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

/** The five objects, in the order they are applied. */
export interface KonnectorObjects {
  namespace: Namespace;
  serviceAccount: ServiceAccount;
  clusterRole: ClusterRole;
  clusterRoleBinding: ClusterRoleBinding;
  deployment: Deployment;
}

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
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    clusterRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: rbacName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacName },
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
                readinessProbe: { httpGet: { path: '/healthz', port: 8090 } },
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
