// The konnector's install manifests for a consumer cluster (spec protocol.md §3.9): namespace,
// service account, RBAC and the Deployment. The UI offers them for download and the one-click
// apply creates them. Upstream grants the konnector every verb on every resource (spec README
// item 14 wants least privilege; that belongs to the konnector's own install, issue 7).
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import { stringify } from 'yaml';

export const konnectorNamespace = 'kube-bind';
export const konnectorName = 'konnector';

export interface KonnectorSettings {
  image: string;
  hostAliases: readonly { ip: string; hostnames: readonly string[] }[];
}

export type KonnectorObject =
  Namespace | ServiceAccount | ClusterRole | ClusterRoleBinding | Deployment;

export function konnectorObjects(settings: KonnectorSettings): KonnectorObject[] {
  const labels = { app: konnectorName };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: konnectorNamespace } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: konnectorName, namespace: konnectorNamespace },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kube-bind-konnector' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kube-bind-konnector' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'kube-bind-konnector',
      },
      subjects: [{ kind: 'ServiceAccount', name: konnectorName, namespace: konnectorNamespace }],
    },
    {
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
            ...(settings.hostAliases.length > 0 && {
              hostAliases: settings.hostAliases.map((a) => ({
                ip: a.ip,
                hostnames: [...a.hostnames],
              })),
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
  ];
}

/** Multi-document YAML, `---` between documents. */
export function toYAMLDocuments(objects: readonly object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
