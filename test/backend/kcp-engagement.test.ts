// The backend's controllers on real kcp as workspaces bind and unbind kube-bind.io (issue 8,
// item 4): each binding engages the workspace (Cluster default appears, requests are served),
// each unbinding disengages it, and nothing stays behind: no engaged cluster, no extra watch (one
// wildcard watch per resource whatever the number of clusters), and no delayed request of the
// cluster's (its requeue-after timers are cancelled).
import { describe, expect, it, onTestFinished } from 'vitest';
import { kubeBindAPIBinding, kubeBindExportName } from '../../src/apis/kubebind/kcp.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { backendControllers } from '../../src/backend/app/app.ts';
import { defaultClusterHook } from '../../src/backend/app/default-cluster.ts';
import { kcpPlatform } from '../../src/backend/app/platform.ts';
import { loadBackendOptions } from '../../src/backend/options/options.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { APIBindings } from '../../src/providers/kcp/bootstrap.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { withEngageHooks } from '../../src/runtime/manager/provider.ts';
import { freshKubeBindExport } from '../harness/kcp-export.ts';
import {
  controlPlane,
  eventually,
  kcpAdmin,
  testLogger,
  testWorkspace,
} from '../harness/context.ts';

describe.runIf(controlPlane().kcp !== undefined)('backend controllers on kcp', () => {
  it('engages a workspace each time it binds and leaves nothing behind when it unbinds', async () => {
    const log = testLogger();
    const { path: exportPath, connection } = await freshKubeBindExport('kb-engage');
    const client = new KubeClient(connection);
    onTestFinished(() => client.close());
    const options = await loadBackendOptions(
      ['--multicluster-runtime-provider=kcp', '--frontend-disabled'],
      { readFile: () => Promise.reject(new Error('no files here')), env: {} },
    );
    const clock = realClock;
    const platform = kcpPlatform(options, { connection, client, clock, log });
    const serving = platform.newProvider('controllers');
    const manager = new Manager({
      provider: withEngageHooks(serving.provider, [defaultClusterHook(clock, log)]),
      clock,
      log,
    });
    for (const spec of backendControllers(options, { clock, log }, platform.targetFor)) {
      manager.add(spec);
    }
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    onTestFinished(async () => {
      stop.abort();
      await running;
    });
    await eventually('the provider to settle', () => (serving.settled() ? true : undefined));

    const consumer = await testWorkspace('kb-engaged');
    const id = (
      await (
        await kcpAdmin('root')
      ).get<{ spec?: { cluster?: string } }>(
        `/apis/tenancy.kcp.io/v1alpha1/workspaces/${consumer.path.split(':')[1] ?? ''}`,
      )
    ).spec?.cluster;
    expect(id).toBeTruthy();
    const bindings = new ResourceClient(consumer.client, APIBindings);
    const requests = new ResourceClient(consumer.client, kb.APIServiceExportRequests, 'default');
    for (let round = 1; round <= 2; round++) {
      await bindings.create(kubeBindAPIBinding(exportPath));
      await eventually(`round ${round}: the workspace engaged`, () =>
        manager.engagedClusters.includes(id ?? '') ? true : undefined,
      );
      await eventually(`round ${round}: Cluster default`, () =>
        ignoreNotFound(new ResourceClient(consumer.client, kb.Clusters).get('default')),
      );
      // A request for an API nobody exports fails, and waits (a timer) to be collected.
      const name = `nothing-${round}`;
      await eventually(
        `round ${round}: the request API to be served`,
        async () =>
          (await ignoreNotFound(
            requests.create({
              metadata: { name },
              spec: { resources: [{ group: 'nowhere.dev', resource: 'ghosts' }] },
            }),
          )) ?? undefined,
      );
      await eventually(`round ${round}: the request to fail`, async () =>
        (await requests.get(name)).status?.phase === 'Failed' ? true : undefined,
      );
      await eventually(`round ${round}: the request's collection to be scheduled`, () =>
        manager.delayedRequests(id ?? '') > 0 ? true : undefined,
      );
      const watches = await steadyWatches(serving.openWatches);

      await bindings.delete(kubeBindExportName);
      // The export's own workspace (its recursive binding) stays engaged.
      await eventually(`round ${round}: the workspace disengaged`, () =>
        manager.engagedClusters.includes(id ?? '') ? undefined : true,
      );
      expect(manager.engagedClusters).toHaveLength(1);
      expect(manager.delayedRequests(id ?? '')).toBe(0);
      // The wildcard watches are shared: the cluster leaving closes none and leaves none behind.
      // Each watch is re-opened every 5-10 minutes, so a sample can fall in a brief gap; a leak
      // or a closed watch stays.
      await eventually(
        `round ${round}: ${watches} watches open`,
        () => (serving.openWatches() === watches ? true : undefined),
        { timeoutMs: 10_000 },
      );
      // kcp removes the bound objects before the binding itself goes.
      await eventually(
        `round ${round}: the binding gone`,
        async () => {
          const b = await ignoreNotFound(bindings.get(kubeBindExportName));
          return b ? undefined : true;
        },
        { timeoutMs: 120_000, intervalMs: 5_000 },
      );
    }
  }, 300_000);
});

/**
 * The number of open watches, as the most seen over a second: the reflectors end and re-open
 * their watches on a timer, and a single sample may fall between the two.
 */
async function steadyWatches(open: () => number): Promise<number> {
  let most = open();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    most = Math.max(most, open());
  }
  return most;
}
