// The kubeconfig a consumer receives (docs/controllers.md §3.4): one cluster, context and user,
// all named `default`; the context's namespace is the contract namespace. The CLI recognises a
// stored provider kubeconfig by (server, namespace), so both must be stable across re-binds.
import { stringify } from 'yaml';

export interface IssuedKubeconfig {
  server: string;
  /** PEM of the CA that signs the server's certificate. */
  caPem: string;
  /** `tls-server-name`, when the server's certificate is for another name. */
  serverName?: string;
  namespace: string;
  token: string;
}

export function renderKubeconfig(k: IssuedKubeconfig): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'default',
        cluster: {
          server: k.server,
          'certificate-authority-data': Buffer.from(k.caPem).toString('base64'),
          ...(k.serverName && { 'tls-server-name': k.serverName }),
        },
      },
    ],
    contexts: [
      { name: 'default', context: { cluster: 'default', namespace: k.namespace, user: 'default' } },
    ],
    'current-context': 'default',
    users: [{ name: 'default', user: { token: k.token } }],
  });
}
