// Informers against the real kube-apiserver: list+watch into a cache, events with old and new
// objects, selectors, indices, and one watch per resource however many consumers share it.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { eventually, kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';
import { cacheMatchesServer } from './cache-check.ts';

async function setup() {
  const client = await kubeAdmin();
  const ns = await testNamespace(client, 'informer');
  const factory = new SharedInformerFactory({ client, clock: realClock, log: testLogger() });
  onTestFinished(() => factory.stop());
  return { client, ns, factory, configMaps: new ResourceClient(client, ConfigMaps, ns) };
}

describe('informer', () => {
  it('caches a namespace and reports adds, updates with old and new, and deletes', async () => {
    const { ns, factory, configMaps } = await setup();
    await configMaps.create({ metadata: { name: 'before' }, data: { v: '1' } });
    const informer = factory.informerFor(ConfigMaps, { namespace: ns });
    const seen: string[] = [];
    // kube-root-ca.crt is published into every namespace; only our objects count.
    const ours = (o: ConfigMap): boolean => o.metadata?.name !== 'kube-root-ca.crt';
    informer.addEventHandler({
      add: (o) => ours(o) && seen.push(`add ${o.metadata?.name}`),
      update: (old, o) => ours(o) && seen.push(`update ${old.data?.['v']}→${o.data?.['v']}`),
      delete: (o) => ours(o) && seen.push(`delete ${o.metadata?.name}`),
    });
    factory.start();
    await factory.waitForSync();
    expect(informer.lister.get(`${ns}/before`)?.data).toEqual({ v: '1' });

    await configMaps.create({ metadata: { name: 'after' }, data: { v: '1' } });
    const live = await configMaps.get('before');
    await configMaps.update({ ...live, data: { v: '2' } });
    await configMaps.delete('after');
    await eventually('all events', () => (seen.includes('delete after') ? true : undefined));
    expect(seen).toEqual(['add before', 'add after', 'update 1→2', 'delete after']);
    await cacheMatchesServer(informer.lister, configMaps);
  });

  it('filters by label selector and indexes by namespace', async () => {
    const { ns, factory, configMaps } = await setup();
    await configMaps.create({ metadata: { name: 'a', labels: { pick: 'yes' } } });
    await configMaps.create({ metadata: { name: 'b', labels: { pick: 'no' } } });
    const informer = factory.informerFor(ConfigMaps, { labelSelector: 'pick=yes' });
    factory.start();
    await factory.waitForSync();
    await eventually('a cached', () => (informer.lister.get(`${ns}/a`) ? true : undefined));
    expect(informer.lister.get(`${ns}/b`)).toBeUndefined();
    expect(informer.lister.byIndex('namespace', ns).map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('shares one informer and one watch among all consumers of a resource', async () => {
    const { client, ns, factory, configMaps } = await setup();
    const first = factory.informerFor(ConfigMaps, { namespace: ns });
    const second = factory.informerFor(ConfigMaps, { namespace: ns });
    expect(second).toBe(first);
    const counts = [0, 0];
    const isX = (o: ConfigMap): boolean => o.metadata?.name === 'x';
    first.addEventHandler({ add: (o) => isX(o) && (counts[0] = (counts[0] ?? 0) + 1) });
    second.addEventHandler({ add: (o) => isX(o) && (counts[1] = (counts[1] ?? 0) + 1) });
    factory.start();
    await factory.waitForSync();
    await configMaps.create({ metadata: { name: 'x' } });
    await eventually('both handlers saw x', () =>
      counts[0] === 1 && counts[1] === 1 ? true : undefined,
    );
    expect(factory.size).toBe(1);
    expect(client.openWatches).toBe(1);
  });

  it('hands a late handler every cached object as an add', async () => {
    const { ns, factory, configMaps } = await setup();
    for (const name of ['p', 'q', 'r']) await configMaps.create({ metadata: { name } });
    // kube-controller-manager publishes the root CA into new namespaces on its own time; the
    // cache must hold it before the late handler is added, or the expected set is a race.
    await eventually('kube-root-ca.crt in the namespace', () =>
      configMaps.get('kube-root-ca.crt').catch(() => undefined),
    );
    const informer = factory.informerFor(ConfigMaps, { namespace: ns });
    factory.start();
    await informer.waitForSync();
    const late: string[] = [];
    informer.addEventHandler({ add: (o) => late.push(o.metadata?.name ?? '') });
    expect(late.sort()).toEqual(['kube-root-ca.crt', 'p', 'q', 'r']);
  });
});
