import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig, type IssuedKubeconfig } from './kubeconfig.ts';

const caPem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

const issued = (overrides: Partial<IssuedKubeconfig> = {}): IssuedKubeconfig => ({
  server: 'https://provider.example:6443',
  caPem,
  namespace: 'cluster-37p3oxx6sh4fd',
  token: 'sa-token',
  ...overrides,
});

/** The kubeconfig of controllers.md §3.4, with the cluster entry given. */
const expected = (cluster: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'default', cluster }],
  contexts: [
    {
      name: 'default',
      context: { cluster: 'default', namespace: 'cluster-37p3oxx6sh4fd', user: 'default' },
    },
  ],
  'current-context': 'default',
  users: [{ name: 'default', user: { token: 'sa-token' } }],
});

describe('renderKubeconfig', () => {
  it('has one cluster, context and user, all named default', () => {
    expect(parse(renderKubeconfig(issued()))).toEqual(
      expected({
        server: 'https://provider.example:6443',
        'certificate-authority-data': Buffer.from(caPem).toString('base64'),
      }),
    );
  });

  it('adds tls-server-name only when given', () => {
    expect(parse(renderKubeconfig(issued({ serverName: 'kubernetes.default' })))).toEqual(
      expected({
        server: 'https://provider.example:6443',
        'certificate-authority-data': Buffer.from(caPem).toString('base64'),
        'tls-server-name': 'kubernetes.default',
      }),
    );
    expect(renderKubeconfig(issued({ serverName: '' }))).not.toContain('tls-server-name');
  });

  it('carries the CA as base64 of the PEM', () => {
    const config = parse(renderKubeconfig(issued())) as {
      clusters: { cluster: Record<string, string> }[];
    };
    const data = config.clusters[0]?.cluster['certificate-authority-data'] ?? '';
    expect(Buffer.from(data, 'base64').toString()).toBe(caPem);
  });

  it('renders the same input identically (stable across re-binds)', () => {
    expect(renderKubeconfig(issued())).toBe(renderKubeconfig(issued()));
  });
});
