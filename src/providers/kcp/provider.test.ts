import { describe, expect, it } from 'vitest';
import { boundClusters, endpointURL } from './provider.ts';

const binding = (cluster: string, exportName: string, phase?: string) => ({
  metadata: { name: exportName, annotations: { 'kcp.io/cluster': cluster } },
  spec: { reference: { export: { name: exportName, path: 'root:kube-bind' } } },
  ...(phase && { status: { phase } }),
});

describe('boundClusters', () => {
  it('is every logical cluster with a Bound binding of the export, once, sorted', () => {
    expect(
      boundClusters(
        [
          binding('zeta', 'kube-bind.io', 'Bound'),
          binding('alpha', 'kube-bind.io', 'Bound'),
          binding('alpha', 'kube-bind.io', 'Bound'),
          // Not yet bound, another export, being deleted, no cluster annotation: not engaged.
          binding('pending', 'kube-bind.io', 'Binding'),
          binding('other', 'tenancy.kcp.io', 'Bound'),
          {
            ...binding('leaving', 'kube-bind.io', 'Bound'),
            metadata: {
              name: 'kube-bind.io',
              annotations: { 'kcp.io/cluster': 'leaving' },
              deletionTimestamp: '2026-11-22T00:00:00Z',
            },
          },
          { spec: { reference: { export: { name: 'kube-bind.io' } } }, status: { phase: 'Bound' } },
        ],
        'kube-bind.io',
      ),
    ).toEqual(['alpha', 'zeta']);
  });
});

describe('endpointURL', () => {
  it('is the first virtual-workspace URL, once there is one', () => {
    expect(endpointURL(undefined)).toBeUndefined();
    expect(endpointURL({ status: {} })).toBeUndefined();
    expect(
      endpointURL({
        status: {
          endpoints: [{ url: '' }, { url: 'https://kcp/services/apiexport/x/kube-bind.io' }],
        },
      }),
    ).toBe('https://kcp/services/apiexport/x/kube-bind.io');
  });
});
