import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import { clusterAwareKey, objectKey, splitKey } from './keys.ts';
import { byNamespace, namespaceIndex, Store } from './store.ts';

const obj = (ns: string, name: string, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { namespace: ns, name, labels },
});
const names = (objs: KubeObject[]) => objs.map((o) => o.metadata?.name).sort();

describe('Store', () => {
  it('files objects under every index and refiles them on change', () => {
    const byTeam = (o: KubeObject) => [o.metadata?.labels?.['team'] ?? 'none'];
    const store = new Store<KubeObject>(objectKey, { [namespaceIndex]: byNamespace, team: byTeam });
    store.upsert(obj('a', 'x', { team: 'red' }));
    store.upsert(obj('a', 'y', { team: 'blue' }));
    store.upsert(obj('b', 'x', { team: 'red' }));
    expect(names(store.byIndex(namespaceIndex, 'a'))).toEqual(['x', 'y']);
    expect(store.byIndex('team', 'red')).toHaveLength(2);

    store.upsert(obj('a', 'x', { team: 'blue' }));
    expect(names(store.byIndex('team', 'blue'))).toEqual(['x', 'y']);
    expect(store.byIndex('team', 'red').map(objectKey)).toEqual(['b/x']);

    expect(store.remove('a/y')?.metadata?.name).toBe('y');
    expect(store.remove('a/y')).toBeUndefined();
    expect(names(store.byIndex('team', 'blue'))).toEqual(['x']);
    expect(store.size).toBe(2);
  });

  it('indexes objects already cached when an index is added later', () => {
    const store = new Store<KubeObject>(objectKey);
    store.upsert(obj('a', 'x'));
    store.addIndexer(namespaceIndex, byNamespace);
    expect(store.byIndex(namespaceIndex, 'a')).toHaveLength(1);
    expect(() => store.addIndexer(namespaceIndex, byNamespace)).toThrow(/already exists/);
    expect(() => store.byIndex('missing', 'a')).toThrow(/no index/);
  });
});

describe('keys', () => {
  it('keys namespaced, cluster-scoped and kcp objects', () => {
    expect(objectKey(obj('ns', 'n'))).toBe('ns/n');
    expect(objectKey({ metadata: { name: 'global' } })).toBe('global');
    const inKcp = {
      metadata: { name: 'n', namespace: 'ns', annotations: { 'kcp.io/cluster': 'c1' } },
    };
    expect(clusterAwareKey(inKcp)).toBe('c1|ns/n');
    expect(clusterAwareKey(obj('ns', 'n'))).toBe('ns/n');
    expect(splitKey('c1|ns/n')).toEqual({ cluster: 'c1', namespace: 'ns', name: 'n' });
    expect(splitKey('global')).toEqual({ cluster: '', namespace: '', name: 'global' });
    expect(() => objectKey({ metadata: {} })).toThrow(/metadata.name/);
  });
});

describe('Store with a failing index function', () => {
  it('leaves the malformed object out of that index and keeps everything else working', () => {
    const failures: string[] = [];
    const byOwner = (obj: KubeObject): readonly string[] => {
      const owner = (obj as { spec?: { owner?: string } }).spec?.owner;
      if (owner === undefined) throw new TypeError('no spec.owner');
      return [owner];
    };
    const store = new Store<KubeObject>(objectKey, { owner: byOwner }, (index, key) =>
      failures.push(`${index}:${key}`),
    );
    const good = { metadata: { name: 'a', namespace: 'ns' }, spec: { owner: 'x' } } as KubeObject;
    const bad = { metadata: { name: 'b', namespace: 'ns' } };
    store.upsert(good);
    store.upsert(bad);
    expect(store.byIndex('owner', 'x')).toEqual([good]);
    expect(store.get('ns/b')).toBe(bad);
    expect(failures).toEqual(['owner:ns/b']);
    // Replacing and removing the malformed object works too.
    store.upsert({ ...bad, metadata: { ...bad.metadata, labels: { v: '2' } } });
    expect(store.remove('ns/b')).toBeDefined();
    expect(store.byIndex('owner', 'x')).toEqual([good]);
  });
});
