import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import { objectKey } from '../../runtime/cache/keys.ts';
import { Store } from '../../runtime/cache/store.ts';
import {
  isClaimed,
  labelSelectorMatches,
  pathValues,
  referencedKeys,
  referenceIndex,
} from './claims.ts';

type Cowboy = KubeObject & { spec?: { secretRefs?: { name: string; namespace?: string }[] } };

const cowboy = (name: string, namespace: string, refs: string[]): Cowboy => ({
  metadata: { name, namespace },
  spec: { secretRefs: refs.map((r) => ({ name: r })) },
});

describe('pathValues', () => {
  it('walks keys, array elements (#) and indices', () => {
    const obj = { spec: { secretName: 's', refs: [{ name: 'a' }, { name: 'b' }, { n: 1 }] } };
    expect(pathValues(obj, 'spec.secretName')).toEqual(['s']);
    expect(pathValues(obj, 'spec.refs.#.name')).toEqual(['a', 'b']);
    expect(pathValues(obj, 'spec.refs.1.name')).toEqual(['b']);
    expect(pathValues(obj, 'spec.refs.#.n')).toEqual(['1']);
    expect(pathValues(obj, 'spec.missing.#.name')).toEqual([]);
  });
});

describe('labelSelectorMatches', () => {
  it('needs every label and expression', () => {
    const sel = {
      matchLabels: { app: 'db' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
    };
    expect(labelSelectorMatches(sel, { app: 'db', tier: 'a' })).toBe(true);
    expect(labelSelectorMatches(sel, { app: 'db', tier: 'c' })).toBe(false);
    expect(labelSelectorMatches(sel, { tier: 'a' })).toBe(false);
    expect(
      labelSelectorMatches({ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }, { x: '1' }),
    ).toBe(false);
  });
});

describe('referencedKeys', () => {
  it('names default to the referencing object’s namespace; paired namespaces win', () => {
    expect(
      referencedKeys(cowboy('w', 'ns', ['a', 'b']), { name: 'spec.secretRefs.#.name' }),
    ).toEqual([
      { namespace: 'ns', name: 'a' },
      { namespace: 'ns', name: 'b' },
    ]);
    const withNs: Cowboy = {
      metadata: { name: 'w' },
      spec: { secretRefs: [{ name: 'a', namespace: 'x' }] },
    };
    expect(
      referencedKeys(withNs, {
        name: 'spec.secretRefs.#.name',
        namespace: 'spec.secretRefs.#.namespace',
      }),
    ).toEqual([{ namespace: 'x', name: 'a' }]);
  });
});

describe('isClaimed', () => {
  const secret = (labels: Record<string, string> = {}): KubeObject => ({
    metadata: { name: 'colt', namespace: 'prov-ns', labels },
  });
  it('by label, by name (in the namespace it counts in), by reference; empty claims nothing', () => {
    expect(
      isClaimed(secret({ app: 'db' }), { labelSelector: { matchLabels: { app: 'db' } } }),
    ).toBe(true);
    expect(isClaimed(secret(), { labelSelector: {} })).toBe(false);
    expect(isClaimed(secret(), {})).toBe(false);
    const named = { namedResources: [{ name: 'colt', namespace: 'wild-west' }] };
    expect(isClaimed(secret(), named)).toBe(false);
    expect(isClaimed(secret(), named, undefined, 'wild-west')).toBe(true);
    const refs = { references: [{ resource: 'cowboys', jsonPath: { name: 'spec.x' } }] };
    expect(isClaimed(secret(), refs, (k) => k === 'wild-west/colt', 'wild-west')).toBe(true);
    expect(isClaimed(secret(), refs, (k) => k === 'wild-west/colt')).toBe(false);
  });
});

describe('referenceIndex', () => {
  const path = { name: 'spec.secretRefs.#.name' };

  it('answers which objects reference a key, following adds, updates and deletes', () => {
    const idx = referenceIndex(path);
    const store = new Store<Cowboy>(objectKey, { [idx.name]: idx.fn });
    store.upsert(cowboy('wyatt', 'ns', ['colt', 'winchester']));
    store.upsert(cowboy('doc', 'ns', ['colt']));
    store.upsert(cowboy('jesse', 'other', ['colt']));
    const referencing = (key: string) =>
      store
        .byIndex(idx.name, key)
        .map((o) => o.metadata?.name ?? '')
        .sort();
    expect(referencing('ns/colt')).toEqual(['doc', 'wyatt']);
    expect(referencing('other/colt')).toEqual(['jesse']);
    expect(referencing('ns/winchester')).toEqual(['wyatt']);

    store.upsert(cowboy('wyatt', 'ns', ['colt'])); // winchester no longer referenced
    expect(referencing('ns/winchester')).toEqual([]);
    store.remove('ns/doc');
    expect(referencing('ns/colt')).toEqual(['wyatt']);
    // A cluster-scoped referencing object without a namespace path references nothing.
    store.upsert({ metadata: { name: 'drifter' }, spec: { secretRefs: [{ name: 'colt' }] } });
    expect(referencing('/colt')).toEqual([]);
  });

  it('costs the same per change whatever the number of referencing objects (O(1))', () => {
    const calls = (n: number): number => {
      const idx = referenceIndex(path);
      let count = 0;
      const counted = (o: Cowboy) => {
        count++;
        return idx.fn(o);
      };
      const store = new Store<Cowboy>(objectKey, { [idx.name]: counted });
      for (let i = 0; i < n; i++) store.upsert(cowboy(`c${i}`, 'ns', [`s${i}`]));
      count = 0;
      store.upsert(cowboy('c0', 'ns', ['changed'])); // one change
      const referenced = store.byIndex(idx.name, 'ns/changed').length > 0; // one question
      expect(referenced).toBe(true);
      return count;
    };
    // The old and the new object are each read once, for 10 objects as for 10,000.
    expect(calls(10)).toBe(2);
    expect(calls(10_000)).toBe(2);
  });
});
