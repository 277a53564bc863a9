import { describe, expect, it } from 'vitest';
import type { APIServiceNamespace } from '../apis/kubebind/types.gen.ts';
import { TerminalError } from '../runtime/controller/result.ts';
import {
  exportIsolation,
  namespaceMap,
  placement,
  PlacementError,
  placementStrategy,
  watchScope,
  type Isolation,
  type Scope,
} from './placement.ts';

const contract = 'kube-bind-abc';

const sn = (name: string, namespace?: string): APIServiceNamespace => ({
  metadata: { name, namespace: contract },
  ...(namespace === undefined ? {} : { status: { namespace } }),
});

const namespaces = namespaceMap([
  sn('default', `${contract}-default`),
  sn('team', 'team'),
  sn('new'),
]);

describe('placementStrategy', () => {
  it.each<[Scope, Scope, Isolation, string]>([
    ['Namespaced', 'Namespaced', 'Prefixed', 'ServiceNamespaced'],
    ['Namespaced', 'Namespaced', 'None', 'ServiceNamespaced'],
    ['Cluster', 'Cluster', 'Prefixed', 'ClusterPrefixed'],
    ['Cluster', 'Cluster', 'None', 'ClusterNone'],
    ['Cluster', 'Namespaced', 'Namespaced', 'ContractNamespaced'],
  ])(
    '%s consumer, %s provider, %s isolation → %s',
    (consumerScope, providerScope, isolation, s) => {
      expect(placementStrategy({ consumerScope, providerScope, isolation })).toBe(s);
    },
  );

  it.each<[Scope, Scope, Isolation]>([
    ['Namespaced', 'Namespaced', 'Namespaced'],
    ['Cluster', 'Cluster', 'Namespaced'],
    ['Cluster', 'Namespaced', 'Prefixed'],
    ['Cluster', 'Namespaced', 'None'],
    ['Namespaced', 'Cluster', 'Prefixed'],
    ['Namespaced', 'Cluster', 'None'],
    ['Namespaced', 'Cluster', 'Namespaced'],
  ])('%s consumer, %s provider, %s isolation is a terminal PlacementError', (c, p, i) => {
    const call = () => placementStrategy({ consumerScope: c, providerScope: p, isolation: i });
    expect(call).toThrow(PlacementError);
    expect(call).toThrow(TerminalError);
    expect(call).toThrow(`consumer scope ${c}, provider scope ${p}, isolation ${i}`);
  });
});

describe('exportIsolation', () => {
  it('prefers isolation, falls back to the deprecated clusterScopedIsolation', () => {
    expect(exportIsolation({ isolation: 'None', clusterScopedIsolation: 'Prefixed' })).toBe('None');
    const legacy = { clusterScopedIsolation: 'Namespaced' } as unknown as { isolation: Isolation };
    expect(exportIsolation(legacy)).toBe('Namespaced');
    expect(() => exportIsolation({} as { isolation: Isolation })).toThrow(PlacementError);
  });
});

describe('ServiceNamespaced (Namespaced / Namespaced)', () => {
  const p = placement({
    consumerScope: 'Namespaced',
    providerScope: 'Namespaced',
    isolation: 'Prefixed',
    contractNamespace: contract,
  });

  it('maps through the APIServiceNamespace status', () => {
    expect(p.providerNamespaced).toBe(true);
    expect(p.toProvider({ namespace: 'default', name: 'w' }, namespaces)).toEqual({
      namespace: `${contract}-default`,
      name: 'w',
    });
    expect(p.toProvider({ namespace: 'team', name: 'w' }, namespaces)).toEqual({
      namespace: 'team',
      name: 'w',
    });
    expect(p.toConsumer({ namespace: `${contract}-default`, name: 'w' }, namespaces)).toEqual({
      namespace: 'default',
      name: 'w',
    });
  });

  it('is undefined while the provider namespace is not assigned', () => {
    expect(p.toProvider({ namespace: 'new', name: 'w' }, namespaces)).toBeUndefined();
    expect(p.toProvider({ namespace: 'other', name: 'w' }, namespaces)).toBeUndefined();
    expect(p.toProvider({ namespace: 'default', name: 'w' })).toBeUndefined();
  });

  it('does not claim provider objects outside the service namespaces', () => {
    expect(p.toConsumer({ namespace: 'elsewhere', name: 'w' }, namespaces)).toBeUndefined();
    expect(p.toConsumer({ namespace: contract, name: 'w' }, namespaces)).toBeUndefined();
    expect(p.toConsumer({ name: 'w' }, namespaces)).toBeUndefined();
  });

  it('rejects cluster-scoped consumer keys', () => {
    expect(() => p.toProvider({ name: 'w' }, namespaces)).toThrow(PlacementError);
  });
});

describe('ClusterPrefixed (Cluster / Cluster, Prefixed)', () => {
  const p = placement({
    consumerScope: 'Cluster',
    providerScope: 'Cluster',
    isolation: 'Prefixed',
    contractNamespace: contract,
  });

  it('prefixes the name with the contract namespace', () => {
    expect(p.providerNamespaced).toBe(false);
    expect(p.toProvider({ name: 'w' })).toEqual({ name: `${contract}-w` });
    expect(p.toConsumer({ name: `${contract}-w` })).toEqual({ name: 'w' });
  });

  it('does not claim names without the prefix', () => {
    expect(p.toConsumer({ name: 'w' })).toBeUndefined();
    expect(p.toConsumer({ name: `${contract}-` })).toBeUndefined();
    expect(p.toConsumer({ name: `other-${contract}-w` })).toBeUndefined();
    expect(p.toConsumer({ namespace: contract, name: `${contract}-w` })).toBeUndefined();
  });

  it('round-trips', () => {
    for (const name of ['a', 'a-b', `${contract}-x`]) {
      const provider = p.toProvider({ name });
      expect(provider && p.toConsumer(provider)).toEqual({ name });
    }
  });

  it('rejects namespaced consumer keys', () => {
    expect(() => p.toProvider({ namespace: 'default', name: 'w' })).toThrow(PlacementError);
  });
});

describe('ClusterNone (Cluster / Cluster, None)', () => {
  const p = placement({
    consumerScope: 'Cluster',
    providerScope: 'Cluster',
    isolation: 'None',
    contractNamespace: contract,
  });

  it('keeps the name', () => {
    expect(p.toProvider({ name: 'w' })).toEqual({ name: 'w' });
    expect(p.toConsumer({ name: 'w' })).toEqual({ name: 'w' });
    expect(p.toConsumer({ namespace: 'x', name: 'w' })).toBeUndefined();
  });
});

describe('ContractNamespaced (Cluster / Namespaced, Namespaced)', () => {
  const p = placement({
    consumerScope: 'Cluster',
    providerScope: 'Namespaced',
    isolation: 'Namespaced',
    contractNamespace: contract,
  });

  it('puts the object in the contract namespace with the same name', () => {
    expect(p.providerNamespaced).toBe(true);
    expect(p.toProvider({ name: 'w' })).toEqual({ namespace: contract, name: 'w' });
    expect(p.toConsumer({ namespace: contract, name: 'w' })).toEqual({ name: 'w' });
  });

  it('does not claim objects in other namespaces', () => {
    expect(p.toConsumer({ namespace: 'other', name: 'w' })).toBeUndefined();
    expect(p.toConsumer({ name: 'w' })).toBeUndefined();
  });
});

describe('placement', () => {
  it('needs a contract namespace', () => {
    expect(() =>
      placement({
        consumerScope: 'Cluster',
        providerScope: 'Cluster',
        isolation: 'None',
        contractNamespace: '',
      }),
    ).toThrow(PlacementError);
  });
});

describe('namespaceMap', () => {
  it('maps both ways and skips unassigned namespaces', () => {
    expect(namespaces.providerNamespace('default')).toBe(`${contract}-default`);
    expect(namespaces.consumerNamespace(`${contract}-default`)).toBe('default');
    expect(namespaces.providerNamespace('new')).toBeUndefined();
    expect(namespaces.consumerNamespace('')).toBeUndefined();
  });

  it('resolves two claims on one provider namespace by name, whatever the order', () => {
    const a = namespaceMap([sn('b', 'shared'), sn('a', 'shared')]);
    const b = namespaceMap([sn('a', 'shared'), sn('b', 'shared')]);
    for (const m of [a, b]) {
      expect(m.consumerNamespace('shared')).toBe('a');
      expect(m.providerNamespace('b')).toBeUndefined();
    }
  });
});

describe('watchScope', () => {
  const base = {
    contractNamespace: contract,
    serviceNamespaces: [`${contract}-b`, `${contract}-a`, `${contract}-a`, '', contract],
  };

  it('watches the contract namespace and every service namespace', () => {
    expect(
      watchScope({ ...base, informerScope: 'Namespaced', providerScope: 'Namespaced' }),
    ).toEqual({ clusterWide: false, namespaces: [contract, `${contract}-a`, `${contract}-b`] });
  });

  it('watches cluster-wide for Cluster informer scope or cluster-scoped provider objects', () => {
    expect(watchScope({ ...base, informerScope: 'Cluster', providerScope: 'Namespaced' })).toEqual({
      clusterWide: true,
    });
    expect(watchScope({ ...base, informerScope: 'Namespaced', providerScope: 'Cluster' })).toEqual({
      clusterWide: true,
    });
  });

  it('with no service namespaces watches only the contract namespace', () => {
    expect(
      watchScope({
        contractNamespace: contract,
        serviceNamespaces: [],
        informerScope: 'Namespaced',
        providerScope: 'Namespaced',
      }),
    ).toEqual({ clusterWide: false, namespaces: [contract] });
  });
});
