// The contract every Provider keeps, as one suite run against each implementation (the
// single-cluster provider now, kcp with its own issue): clusters it engages come with a working
// client and informers, and when it stops it disengages them all and leaves no watch open.
import { expect, it } from 'vitest';
import { ConfigMaps } from '../../src/kube/resources.ts';
import type { Cluster } from '../../src/runtime/cluster.ts';
import type { Provider } from '../../src/runtime/manager/provider.ts';
import { eventually } from '../harness/context.ts';

export interface ProviderUnderTest {
  provider: Provider;
  /** A namespace that exists in every cluster the provider engages. */
  namespace: string;
  /** Watches open on the connections the provider made (0 when all are closed). */
  openWatches: () => number;
}

export function providerContract(name: string, setup: () => Promise<ProviderUnderTest>): void {
  it(`${name}: engages clusters with a working client and informers, and releases them on stop`, async () => {
    const { provider, namespace, openWatches } = await setup();
    const engaged = new Map<string, Cluster>();
    const disengaged: string[] = [];
    const abort = new AbortController();
    const running = provider.run(
      {
        engage: async (cluster) => {
          engaged.set(cluster.name, cluster);
          const informer = cluster.informers.informerFor(ConfigMaps, { namespace });
          cluster.informers.start();
          await informer.waitForSync();
        },
        disengage: (clusterName) => {
          disengaged.push(clusterName);
          return Promise.resolve();
        },
      },
      abort.signal,
    );
    const first = await eventually('a cluster to be engaged', () => [...engaged.values()][0]);
    expect(first.name).not.toBe('');
    const listed = await first.client.get<{ items: unknown[] }>(
      `/api/v1/namespaces/${namespace}/configmaps`,
    );
    expect(Array.isArray(listed.items)).toBe(true);
    await eventually('informers to be synced and watching', () =>
      openWatches() >= 1 ? true : undefined,
    );

    abort.abort();
    await running;
    expect(disengaged.sort()).toEqual([...engaged.keys()].sort());
    expect(openWatches()).toBe(0);
  });
}
