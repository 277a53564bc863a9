import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import { ConfigMaps, Namespaces } from '../../kube/resources.ts';
import { forObject, forOwner, generationChanged } from './handlers.ts';

const owned: KubeObject = {
  metadata: {
    name: 'child',
    namespace: 'ns',
    ownerReferences: [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'boss', uid: '1', controller: true },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'peer', uid: '2' },
      { apiVersion: 'apps/v1', kind: 'ConfigMap', name: 'other-group', uid: '3', controller: true },
      { apiVersion: 'v1', kind: 'Namespace', name: 'ns', uid: '4' },
    ],
  },
};

describe('event mappers', () => {
  it('maps an object to itself', () => {
    expect(forObject()(owned)).toEqual([{ namespace: 'ns', name: 'child' }]);
    expect(forObject()({ metadata: { name: 'cluster-scoped' } })).toEqual([
      { namespace: undefined, name: 'cluster-scoped' },
    ]);
  });

  it('maps to the controlling owner of the right group and kind', () => {
    expect(forOwner(ConfigMaps)(owned)).toEqual([{ namespace: 'ns', name: 'boss' }]);
    expect(forOwner(ConfigMaps, { allOwners: true })(owned)).toEqual([
      { namespace: 'ns', name: 'boss' },
      { namespace: 'ns', name: 'peer' },
    ]);
  });

  it('gives cluster-scoped owners no namespace', () => {
    expect(forOwner(Namespaces, { allOwners: true })(owned)).toEqual([
      { namespace: undefined, name: 'ns' },
    ]);
  });

  it('filters on generation changes', () => {
    const v1 = { metadata: { name: 'a', generation: 1 } };
    const v1again = { metadata: { name: 'a', generation: 1, resourceVersion: '9' } };
    const v2 = { metadata: { name: 'a', generation: 2 } };
    expect(generationChanged(v1)).toBe(true);
    expect(generationChanged(v1again, v1)).toBe(false);
    expect(generationChanged(v2, v1)).toBe(true);
  });
});
