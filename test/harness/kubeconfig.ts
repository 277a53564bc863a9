import { stringify } from 'yaml';

export interface KubeconfigSpec {
  name: string;
  server: string;
  caPem: string;
  user: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A one-context kubeconfig with credentials inlined, as `kubectl` and src/kube/config.ts read it. */
export function buildKubeconfig(spec: KubeconfigSpec): string {
  const user: Record<string, string> = {};
  if (spec.certPem !== undefined) user['client-certificate-data'] = b64(spec.certPem);
  if (spec.keyPem !== undefined) user['client-key-data'] = b64(spec.keyPem);
  if (spec.token !== undefined) user['token'] = spec.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: spec.name,
        cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) },
      },
    ],
    users: [{ name: spec.user, user }],
    contexts: [{ name: spec.name, context: { cluster: spec.name, user: spec.user } }],
    'current-context': spec.name,
  });
}
