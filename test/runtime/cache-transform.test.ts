// Informer caches against the real kube-apiserver keep objects without metadata.managedFields,
// which the server sets on every object; writes built from a cached object keep the server's.
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { keepAll } from '../../src/runtime/cache/transform.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { eventually, kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';
import { cacheMatchesServer } from './cache-check.ts';

async function setup(factoryOpts: { keep?: boolean } = {}) {
  const client = await kubeAdmin();
  const ns = await testNamespace(client, 'cache-transform');
  const factory = new SharedInformerFactory({
    client,
    clock: realClock,
    log: testLogger(),
    ...(factoryOpts.keep && { transformFor: () => keepAll }),
  });
  onTestFinished(() => factory.stop());
  return { ns, factory, configMaps: new ResourceClient(client, ConfigMaps, ns) };
}

describe('informer cache transform', () => {
  it('caches listed and watched objects without managedFields', async () => {
    const { ns, factory, configMaps } = await setup();
    await configMaps.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'listed', labels: { owner: 'test' } },
        data: { v: '1' },
      },
      { fieldManager: 'test' },
    );
    expect((await configMaps.get('listed')).metadata?.managedFields).not.toHaveLength(0);
    const informer = factory.informerFor(ConfigMaps, { namespace: ns });
    factory.start();
    await factory.waitForSync();
    await configMaps.create({ metadata: { name: 'watched' }, data: { v: '1' } });
    await eventually('watched cached', () => informer.lister.get(`${ns}/watched`));
    await cacheMatchesServer(informer.lister, configMaps);
    expect(informer.lister.list().filter((o) => o.metadata?.managedFields)).toEqual([]);
    expect(informer.lister.get(`${ns}/listed`)?.data).toEqual({ v: '1' });

    // An update built from the cached object leaves the server's managedFields in place: the
    // applier still owns the label it set.
    const cached = informer.lister.get(`${ns}/listed`);
    if (!cached) throw new Error('not cached');
    const updated = await configMaps.update({ ...cached, data: { v: '2' } });
    expect(updated.metadata?.managedFields?.map((m) => m.manager)).toContain('test');
  });

  it('keeps managedFields for a factory that asks for everything', async () => {
    const { ns, factory, configMaps } = await setup({ keep: true });
    await configMaps.create({ metadata: { name: 'a' }, data: { v: '1' } });
    const informer = factory.informerFor(ConfigMaps, { namespace: ns });
    factory.start();
    await factory.waitForSync();
    expect(informer.lister.get(`${ns}/a`)?.metadata?.managedFields).not.toHaveLength(0);
  });
});
