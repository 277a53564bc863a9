// Informers under faults, on a private cluster (these tests restart its API server and compact
// its etcd). Config maps bypass the watch cache (`--watch-cache-sizes=configmaps#0`), so a watch
// resuming from a compacted revision gets 410 Gone from etcd itself; secrets use the watch cache
// as a production API server does.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import type { KubeObject, ResourceType } from '../../src/kube/resource.ts';
import { ConfigMaps, Secrets } from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { controlPlane, eventually, testLogger, uniqueSuffix } from '../harness/context.ts';
import { compactEtcd } from '../harness/etcd.ts';
import { startKubeCluster } from '../harness/kube-cluster.ts';
import type { KubeCluster } from '../harness/kube-cluster.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';
import type { TcpProxy } from '../harness/tcp-proxy.ts';
import { cacheMatchesServer } from './cache-check.ts';
import { metricSum } from './metric-sum.ts';

let cluster: KubeCluster;
let dir: string;
let admin: KubeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'faults-'));
  cluster = await startKubeCluster({
    name: 'faults',
    baseDir: dir,
    controllerManager: false,
    apiserverArgs: ['--watch-cache-sizes=configmaps#0'],
  });
  admin = new KubeClient(cluster.adminConnection());
}, 180_000);

afterAll(async () => {
  await admin.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An informer on `type` in a fresh namespace, reaching the server through a cuttable proxy. */
async function watched<T extends KubeObject>(type: ResourceType<T>) {
  const ns = `faults-${uniqueSuffix()}`;
  await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  const proxy: TcpProxy = await startTcpProxy(cluster.server);
  const client = new KubeClient({ ...cluster.adminConnection(), server: proxy.url });
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry);
  const factory = new SharedInformerFactory({
    client,
    clock: realClock,
    log: testLogger(),
    metrics: metrics.reflector,
  });
  const informer = factory.informerFor(type, { namespace: ns });
  const events: string[] = [];
  informer.addEventHandler({
    add: (o) => events.push(`add ${o.metadata?.name}`),
    update: (_, o) => events.push(`update ${o.metadata?.name}`),
    delete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  factory.start();
  await factory.waitForSync();
  return {
    ns,
    proxy,
    informer,
    events,
    direct: new ResourceClient(admin, type, ns),
    restarts: (reason: string) => metricSum(registry, 'informer_watch_restarts_total', { reason }),
    close: async () => {
      await factory.stop();
      await client.close();
      await proxy.close();
    },
  };
}

describe('informer under faults', () => {
  it('relists after a compaction expires its resourceVersion, then sees every later change', async () => {
    const w = await watched(ConfigMaps);
    try {
      for (const name of ['a', 'b', 'c']) await w.direct.create({ metadata: { name } });
      await eventually('initial objects', () => (w.informer.lister.size === 3 ? true : undefined));

      // Cut the informer off, change things behind its back, and compact history past its
      // resourceVersion.
      w.proxy.disconnect();
      await w.direct.create({ metadata: { name: 'd' } });
      await w.direct.delete('a');
      await w.direct.patch('b', 'application/merge-patch+json', { data: { x: '1' } });
      await compactEtcd(cluster.etcdEndpoint);
      w.proxy.reconnect();

      await cacheMatchesServer(w.informer.lister, w.direct);
      expect(await w.restarts('expired')).toBeGreaterThanOrEqual(1);
      expect(w.events).toEqual(expect.arrayContaining(['add d', 'delete a', 'update b']));

      // The re-established watch delivers everything that follows.
      const before = w.events.length;
      await w.direct.create({ metadata: { name: 'e' } });
      await w.direct.patch('c', 'application/merge-patch+json', { data: { y: '2' } });
      await w.direct.delete('d');
      await eventually('later changes', () => (w.events.length >= before + 3 ? true : undefined));
      expect(w.events.slice(before)).toEqual(['add e', 'update c', 'delete d']);
      await cacheMatchesServer(w.informer.lister, w.direct);
    } finally {
      await w.close();
    }
  });

  it('loses no change across a kube-apiserver restart', async () => {
    const w = await watched<Secret>(Secrets);
    try {
      for (const name of ['s1', 's2', 's3']) await w.direct.create({ metadata: { name } });
      await eventually('initial objects', () => (w.informer.lister.size === 3 ? true : undefined));

      // The server dies under the open watch; while it is away and after it is back, this
      // informer cannot reach it, and others change things.
      w.proxy.disconnect();
      await cluster.restartApiserver({ hard: true });
      await w.direct.create({ metadata: { name: 's4' } });
      await w.direct.delete('s1');
      await w.direct.patch('s2', 'application/merge-patch+json', { stringData: { k: 'v' } });
      w.proxy.reconnect();

      await cacheMatchesServer(w.informer.lister, w.direct);
      expect(w.events).toEqual(expect.arrayContaining(['add s4', 'delete s1', 'update s2']));
      expect((await w.restarts('error')) + (await w.restarts('expired'))).toBeGreaterThanOrEqual(1);

      const before = w.events.length;
      await w.direct.create({ metadata: { name: 's5' } });
      await eventually('a later change', () => (w.events.includes('add s5') ? true : undefined));
      expect(w.events.slice(before)).toEqual(['add s5']);
    } finally {
      await w.close();
    }
  });

  it('keeps retrying while the server is unreachable and recovers when it returns', async () => {
    const w = await watched(ConfigMaps);
    try {
      w.proxy.disconnect();
      // Long enough for several failed attempts with backoff.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await w.direct.create({ metadata: { name: 'while-away' } });
      const failed = await w.restarts('error');
      w.proxy.reconnect();
      await eventually('the object made while away', () =>
        w.informer.lister.get(`${w.ns}/while-away`) ? true : undefined,
      );
      expect(failed).toBeGreaterThanOrEqual(2);
    } finally {
      await w.close();
    }
  });
});
