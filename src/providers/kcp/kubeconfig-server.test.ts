import { describe, expect, it } from 'vitest';
import { consumerKubeconfigServer } from './kubeconfig-server.ts';

const vw = (path: string) => new URL(`https://kcp.example:6443${path}`);

describe('consumerKubeconfigServer', () => {
  const cluster = vw('/services/apiexport/root:kube-bind/kube-bind.io/clusters/abc123');

  it('is the virtual workspace host with /clusters/<id>', () => {
    expect(consumerKubeconfigServer(cluster)).toBe('https://kcp.example:6443/clusters/abc123');
  });

  it('takes the external address, replacing its path', () => {
    expect(consumerKubeconfigServer(cluster, 'https://front.example/some/path')).toBe(
      'https://front.example/clusters/abc123',
    );
    expect(consumerKubeconfigServer(cluster, 'https://front.example:8443')).toBe(
      'https://front.example:8443/clusters/abc123',
    );
  });

  it('refuses a URL that names no logical cluster', () => {
    expect(() => consumerKubeconfigServer(vw('/services/apiexport/root/kube-bind.io'))).toThrow(
      /^invalid apiexport URL format/,
    );
  });
});
