import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import type { EventHandler, Informer } from '../../runtime/cache/informer.ts';
import { namespacedKey } from '../../runtime/cache/keys.ts';
import type { Lister } from '../../runtime/cache/store.ts';
import { unionInformer } from './union-informer.ts';

/** A fixed informer over `objects` that records its handlers. */
function part(objects: KubeObject[], synced = true) {
  const handlers: EventHandler<KubeObject>[] = [];
  const key = (o: KubeObject) => namespacedKey(o.metadata?.namespace, o.metadata?.name ?? '');
  const lister: Lister<KubeObject> = {
    get: (k) => objects.find((o) => key(o) === k),
    list: () => [...objects],
    keys: () => objects.map(key),
    byIndex: (_i, v) => objects.filter((o) => o.metadata?.namespace === v),
    size: objects.length,
  };
  const informer: Informer = {
    resource: 'secrets',
    lister,
    hasSynced: () => synced,
    waitForSync: () => Promise.resolve(),
    addEventHandler: (h) => {
      handlers.push(h);
      return { remove: () => handlers.splice(handlers.indexOf(h), 1) };
    },
    addIndexer: () => undefined,
  };
  return { informer, handlers };
}

const obj = (namespace: string, name: string): KubeObject => ({ metadata: { namespace, name } });

describe('unionInformer', () => {
  it('reads every part once, and is synced when every part is', () => {
    const a = part([obj('n', 'colt'), obj('m', 'colt')]);
    const b = part([obj('n', 'colt'), obj('n', 'other')], false);
    const u = unionInformer('secrets', [a.informer, b.informer]);
    expect(u.lister.get('n/other')?.metadata?.name).toBe('other');
    expect(u.lister.get('x/none')).toBeUndefined();
    expect(u.lister.list().length).toBe(3);
    expect(u.lister.size).toBe(3);
    expect(u.lister.byIndex('namespace', 'n').length).toBe(2);
    expect(u.hasSynced()).toBe(false);
    const registration = u.addEventHandler({});
    expect([a.handlers.length, b.handlers.length]).toEqual([1, 1]);
    registration.remove();
    expect([a.handlers.length, b.handlers.length]).toEqual([0, 0]);
  });
});
