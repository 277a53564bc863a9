// The provider contract, run against the single-cluster provider on the shared cluster and the
// kcp provider on the shared kcp (a consumer workspace binding kube-bind.io).
import { describe, expect, it, onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';
import { providerContract } from '../contract/provider.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
  testWorkspace,
} from '../harness/context.ts';
import { kubeBindAPIBinding, kubeBindExportName } from '../../src/apis/kubebind/kcp.ts';
import { freshKubeBindExport } from '../harness/kcp-export.ts';
import { KcpProvider } from '../../src/providers/kcp/provider.ts';

describe('single-cluster provider', () => {
  providerContract('default', async () => {
    const namespace = await testNamespace(await kubeAdmin(), 'provider');
    const client = new KubeClient(
      await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath }),
    );
    onTestFinished(() => client.close());
    return {
      provider: new SingleClusterProvider({ client, clock: realClock, log: testLogger() }),
      namespace,
      openWatches: () => client.openWatches,
    };
  });
});

/** kube-bind.io bootstrapped into a fresh workspace (deleted after the test), and a provider for it. */
async function kcpProviderOfFreshExport(): Promise<{ path: string; provider: KcpProvider }> {
  const { path, connection } = await freshKubeBindExport('kb-provider');
  const provider = new KcpProvider({
    connection,
    endpointSliceName: kubeBindExportName,
    clock: realClock,
    log: testLogger(),
  });
  return { path, provider };
}

describe.runIf(controlPlane().kcp !== undefined)('kcp provider', () => {
  providerContract('kcp', async () => {
    const { path, provider } = await kcpProviderOfFreshExport();
    // A consumer workspace binds the export; the provider must engage it.
    const consumer = await testWorkspace('kb-consumer');
    await consumer.client.create(
      '/apis/apis.kcp.io/v1alpha2/apibindings',
      kubeBindAPIBinding(path),
    );
    return { provider, namespace: 'default', openWatches: () => provider.openWatches };
  });
});

describe.runIf(controlPlane().kcp !== undefined)('kcp provider, bindings coming and going', () => {
  it('engages a workspace when it binds kube-bind.io and disengages it when it unbinds, one watch per resource', async () => {
    const { path, provider } = await kcpProviderOfFreshExport();
    const engaged = new Set<string>();
    const abort = new AbortController();
    const running = provider.run(
      {
        engage: async (cluster) => {
          engaged.add(cluster.name);
          const informer = cluster.informers.informerFor(ConfigMaps);
          cluster.informers.start();
          await informer.waitForSync();
        },
        disengage: (name) => {
          engaged.delete(name);
          return Promise.resolve();
        },
      },
      abort.signal,
    );
    onTestFinished(async () => {
      abort.abort();
      await running;
    });
    // The export's own workspace binds it (the recursive binding): one cluster to begin with.
    await eventually('the provider workspace to be engaged', () =>
      engaged.size === 1 ? true : undefined,
    );
    // The endpoint slice, and wildcard APIBindings and ConfigMaps: three watches in all.
    const watchesWithOne = 3;
    await eventually('the three watches to be open', () =>
      provider.openWatches === watchesWithOne ? true : undefined,
    );

    const consumers = [await testWorkspace('kb-a'), await testWorkspace('kb-b')];
    for (const c of consumers) {
      await c.client.create('/apis/apis.kcp.io/v1alpha2/apibindings', kubeBindAPIBinding(path));
    }
    await eventually(
      'both consumers to be engaged',
      () => (engaged.size === 3 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    // Wildcard informers: more clusters, not more watches.
    expect(provider.openWatches).toBe(watchesWithOne);

    const [first] = consumers;
    await first?.client.delete(`/apis/apis.kcp.io/v1alpha2/apibindings/${kubeBindExportName}`);
    await eventually(
      'the unbound workspace to be disengaged',
      () => (engaged.size === 2 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect(provider.engaged).toHaveLength(2);
    abort.abort();
    await running;
    expect(provider.openWatches).toBe(0);
    expect(engaged.size).toBe(0);
  });
});
