// A stopped manager leaves nothing behind: no connection to the API server (counted at a proxy
// in front of it), no socket or timer in this process, no watch.
import { describe, expect, it } from 'vitest';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps, Secrets } from '../../src/kube/resources.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { watch } from '../../src/runtime/controller/handlers.ts';
import { requeueAfter } from '../../src/runtime/controller/result.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
} from '../harness/context.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

/** Live handles of this process by kind (Timeout, TCPSocketWrap, TLSWrap…). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

describe('manager shutdown', () => {
  it('leaves no sockets, timers or watches behind', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'shutdown');
    for (const name of ['one', 'two']) {
      await new ResourceClient(admin, ConfigMaps, ns).create({ metadata: { name } });
      await new ResourceClient(admin, Secrets, ns).create({ metadata: { name } });
    }
    const base = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const proxy = await startTcpProxy(base.server);
    const before = handles();

    const log = testLogger();
    const provider = new SingleClusterProvider({
      connection: { ...base, server: proxy.url },
      clock: realClock,
      log,
    });
    const manager = new Manager({ provider, clock: realClock, log });
    const seen = new Set<string>();
    manager.add({
      name: 'polls-configmaps',
      workers: 3,
      watches: (c) => [watch(c.informers.informerFor(ConfigMaps, { namespace: ns }))],
      // Every key keeps a one-minute requeue timer pending when the manager stops.
      reconcile: (req) => {
        seen.add(`cm ${req.name}`);
        return Promise.resolve(requeueAfter(60_000));
      },
    });
    manager.add({
      name: 'secrets-and-configmaps',
      workers: 2,
      watches: (c) => [
        watch(c.informers.informerFor(Secrets, { namespace: ns })),
        watch(c.informers.informerFor(ConfigMaps, { namespace: ns })),
      ],
      reconcile: (req) => {
        seen.add(`any ${req.name}`);
        return Promise.resolve();
      },
    });
    const abort = new AbortController();
    const running = manager.start(abort.signal);
    await eventually('both controllers reconciled', () =>
      seen.has('cm one') && seen.has('cm two') && seen.has('any two') ? true : undefined,
    );
    // Two resources shared by both controllers: two watches, each holding a connection.
    expect(proxy.open).toBeGreaterThanOrEqual(2);
    expect(handles().get('Timeout') ?? 0).toBeGreaterThan(before.get('Timeout') ?? 0);

    abort.abort();
    await running;
    await eventually('every connection to the server closed', () =>
      proxy.open === 0 ? true : undefined,
    );
    await eventually('no handle left behind', () => {
      const after = handles();
      const leaked = [...after].filter(([kind, n]) => n > (before.get(kind) ?? 0));
      if (leaked.length > 0) throw new Error(`still open: ${JSON.stringify(leaked)}`);
      return true;
    });
    expect(manager.engagedClusters).toEqual([]);
    await proxy.close();
  });
});
