import { describe, expect, it } from 'vitest';
import { consumerKubeconfigServer, logicalClusterOfVirtualWorkspace } from './kubeconfig-server.ts';

const vw = (path: string) => new URL(`https://kcp.example:6443${path}`);

describe('logicalClusterOfVirtualWorkspace', () => {
  it('is the segment after clusters/ in an APIExport virtual-workspace URL', () => {
    expect(
      logicalClusterOfVirtualWorkspace(
        vw('/services/apiexport/root:kube-bind/kube-bind.io/clusters/2ocmmccjkme8bof4'),
      ),
    ).toBe('2ocmmccjkme8bof4');
  });

  it.each([
    ['no cluster', '/services/apiexport/root:kube-bind/kube-bind.io'],
    ['the wildcard', '/services/apiexport/root:kube-bind/kube-bind.io/clusters/*'],
    ['a workspace URL', '/clusters/root:kube-bind'],
    ['another segment', '/services/apiexport/root/kube-bind.io/workspaces/abc'],
  ])('refuses %s', (_, path) => {
    expect(() => logicalClusterOfVirtualWorkspace(vw(path))).toThrow(
      /^invalid apiexport URL format: https:\/\/kcp\.example:6443\//,
    );
  });
});

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
});
