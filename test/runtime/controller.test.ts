// Controllers on the real kube-apiserver, run by the manager on the single-cluster provider:
// volume, conflicts, the retry contract, and a clean stop.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { retryOnConflict } from '../../src/kube/conflict.ts';
import { ConflictError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import type { Informer } from '../../src/runtime/cache/informer.ts';
import { namespacedKey } from '../../src/runtime/cache/keys.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';
import { watch } from '../../src/runtime/controller/handlers.ts';
import { requeueAfter, TerminalError } from '../../src/runtime/controller/result.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { eventually, kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';
import { cacheMatchesServer } from './cache-check.ts';
import { metricSum } from './metric-sum.ts';

/** Runs a manager with `specs` on the shared cluster until the test ends. */
function runManager(client: KubeClient, specs: ControllerSpec[], registry = new Registry()) {
  const log = testLogger();
  const metrics = new RuntimeMetrics(registry);
  const provider = new SingleClusterProvider({
    client,
    clock: realClock,
    log,
    metrics: { reflector: metrics.reflector },
  });
  const manager = new Manager({ provider, clock: realClock, log, metrics: metrics.controller });
  for (const spec of specs) manager.add(spec);
  const abort = new AbortController();
  const running = manager.start(abort.signal);
  return {
    registry,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

async function createMany(cms: ResourceClient<ConfigMap>, n: number, parallel = 16) {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      await cms.create({ metadata: { name: `cm-${String(i).padStart(4, '0')}` } });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const merge = 'application/merge-patch+json';

describe('controller', () => {
  it('reconciles 1,000 objects, each until done, and its cache matches a fresh list', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'bulk');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    await createMany(cms, 1000);
    const reconciled = new Set<string>();
    let informer: Informer<ConfigMap> | undefined;
    const run = runManager(client, [
      {
        name: 'bulk',
        workers: 8,
        watches: (cluster) => {
          informer = cluster.informers.informerFor(ConfigMaps, { namespace: ns });
          return [watch(informer)];
        },
        reconcile: async (req, { cluster }) => {
          const cm = informer?.lister.get(namespacedKey(req.namespace, req.name));
          // kube-root-ca.crt lives in every namespace; it is not ours to count.
          if (!req.name.startsWith('cm-')) return;
          if (!cm || cm.metadata?.annotations?.['done'] === 'true') {
            reconciled.add(req.name);
            return;
          }
          const live = new ResourceClient(cluster.client, ConfigMaps, req.namespace);
          await live.patch(req.name, merge, { metadata: { annotations: { done: 'true' } } });
        },
      },
    ]);
    try {
      await eventually('1000 objects reconciled', () =>
        reconciled.size === 1000 ? true : undefined,
      );
      const { items } = await cms.listAll();
      const ours = items.filter((cm) => cm.metadata?.name?.startsWith('cm-'));
      expect(ours).toHaveLength(1000);
      const done = ours.filter((cm) => cm.metadata?.annotations?.['done'] === 'true');
      expect(done).toHaveLength(1000);
      if (!informer) throw new Error('the controller never set up its watch');
      await cacheMatchesServer(informer.lister, cms);
      // Each object: one reconcile that patched, one that saw the patch come back.
      const total = await metricSum(run.registry, 'controller_runtime_reconcile_total');
      expect(total).toBeGreaterThanOrEqual(2000);
    } finally {
      await run.stop();
    }
  });

  it('retries an update that conflicts with another writer until it succeeds', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'conflict');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    await cms.create({ metadata: { name: 'target' }, data: { count: '0' } });
    let informer: Informer<ConfigMap> | undefined;
    let conflicts = 0;
    let interfered = false;
    const run = runManager(client, [
      {
        name: 'conflict',
        watches: (cluster) => {
          informer = cluster.informers.informerFor(ConfigMaps, { namespace: ns });
          return [watch(informer)];
        },
        reconcile: async (req, { cluster }) => {
          // Only our object: the namespace also holds kube-root-ca.crt, which must neither
          // trigger the interference nor be written.
          if (req.name !== 'target') return;
          const cached = informer?.lister.get(namespacedKey(req.namespace, req.name));
          if (!cached || cached.data?.['count'] === '1') return;
          if (!interfered) {
            // Another writer changes the object between our read and our write.
            interfered = true;
            await cms.patch('target', merge, { data: { other: 'writer' } });
          }
          const live = new ResourceClient(cluster.client, ConfigMaps, req.namespace);
          try {
            await live.update({ ...cached, data: { ...cached.data, count: '1' } });
          } catch (err) {
            if (err instanceof ConflictError) conflicts++;
            throw err;
          }
        },
      },
    ]);
    try {
      const final = await eventually('the update to land', async () => {
        const cm = await cms.get('target');
        return cm.data?.['count'] === '1' ? cm : undefined;
      });
      expect(final.data).toEqual({ count: '1', other: 'writer' });
      expect(conflicts).toBeGreaterThanOrEqual(1);
      const errors = await metricSum(run.registry, 'controller_runtime_reconcile_errors_total', {
        controller: 'conflict',
      });
      expect(errors).toBe(conflicts);
    } finally {
      await run.stop();
    }
  });

  it('retryOnConflict lets concurrent read-modify-write loops all land', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'rmw');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    await cms.create({ metadata: { name: 'counter' }, data: { n: '0' } });
    let conflicts = 0;
    const increment = () =>
      retryOnConflict(
        async () => {
          const cm = await cms.get('counter');
          try {
            await cms.update({ ...cm, data: { n: String(Number(cm.data?.['n']) + 1) } });
          } catch (err) {
            if (err instanceof ConflictError) conflicts++;
            throw err;
          }
        },
        { attempts: 50 },
      );
    await Promise.all(Array.from({ length: 10 }, increment));
    expect((await cms.get('counter')).data?.['n']).toBe('10');
    expect(conflicts).toBeGreaterThan(0);
  });

  it('backs off and retries errors, drops terminal errors, and requeues on request', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'contract');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    const attempts = new Map<string, number[]>();
    const run = runManager(client, [
      {
        name: 'contract',
        watches: (cluster) => [watch(cluster.informers.informerFor(ConfigMaps, { namespace: ns }))],
        reconcile: (req) => {
          const times = attempts.get(req.name) ?? [];
          times.push(performance.now());
          attempts.set(req.name, times);
          if (req.name === 'flaky' && times.length <= 3) throw new Error('transient');
          if (req.name === 'broken') throw new TerminalError('invalid spec');
          if (req.name === 'poll' && times.length < 3) return Promise.resolve(requeueAfter(300));
          return Promise.resolve();
        },
      },
    ]);
    try {
      for (const name of ['flaky', 'broken', 'poll']) await cms.create({ metadata: { name } });
      await eventually('flaky to succeed and poll to be polled', () =>
        (attempts.get('flaky')?.length ?? 0) >= 4 && (attempts.get('poll')?.length ?? 0) >= 3
          ? true
          : undefined,
      );
      const flaky = attempts.get('flaky') ?? [];
      const gaps = flaky.slice(1).map((t, i) => t - (flaky[i] ?? 0));
      // Per-key exponential backoff: 5 ms, 10 ms, 20 ms (each at least the base, and growing).
      expect(gaps[0]).toBeGreaterThanOrEqual(4);
      expect(gaps[2]).toBeGreaterThanOrEqual(19);
      const poll = attempts.get('poll') ?? [];
      expect((poll[1] ?? 0) - (poll[0] ?? 0)).toBeGreaterThanOrEqual(290);
      expect(attempts.get('broken')).toHaveLength(1);
      const terminal = await metricSum(
        run.registry,
        'controller_runtime_terminal_reconcile_errors_total',
        { controller: 'contract' },
      );
      expect(terminal).toBe(1);
      expect(
        await metricSum(run.registry, 'controller_runtime_reconcile_total', { result: 'error' }),
      ).toBe(3);
    } finally {
      await run.stop();
    }
  });

  it('survives a reconciler that throws synchronously', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'throws');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    let calls = 0;
    const run = runManager(client, [
      {
        name: 'throws',
        watches: (cluster) => [watch(cluster.informers.informerFor(ConfigMaps, { namespace: ns }))],
        reconcile: () => {
          calls++;
          if (calls === 1) throw new TypeError('bug in the reconciler');
          return Promise.resolve();
        },
      },
    ]);
    try {
      await cms.create({ metadata: { name: 'x' } });
      await eventually('a retry after the throw', () => (calls >= 2 ? true : undefined));
    } finally {
      await run.stop();
    }
  });
});
