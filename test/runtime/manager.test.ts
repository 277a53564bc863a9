// The manager: controllers follow clusters as a provider engages and disengages them, and run
// only in the replica that holds the leader lease.
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps, Leases } from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { Cluster } from '../../src/runtime/cluster.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';
import { watch } from '../../src/runtime/controller/handlers.ts';
import { leaseGate } from '../../src/runtime/leaderelection/index.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import type { ClusterSink, Provider } from '../../src/runtime/manager/provider.ts';
import { eventually, kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';

/** A provider the test drives by hand: each "cluster" is the shared cluster under a new name. */
class ManualProvider implements Provider {
  sink: ClusterSink | undefined;
  readonly clusters = new Map<string, Cluster & { informers: SharedInformerFactory }>();
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async run(sink: ClusterSink, signal: AbortSignal): Promise<void> {
    this.sink = sink;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    for (const name of [...this.clusters.keys()]) await this.remove(name);
  }

  async add(name: string): Promise<void> {
    const informers = new SharedInformerFactory({
      client: this.#client,
      clock: realClock,
      log: testLogger(),
    });
    const cluster = { name, client: this.#client, informers };
    this.clusters.set(name, cluster);
    await this.sink?.engage(cluster);
  }

  async remove(name: string): Promise<void> {
    const cluster = this.clusters.get(name);
    this.clusters.delete(name);
    await this.sink?.disengage(name);
    await cluster?.informers.stop();
  }
}

function recordingSpec(ns: string, seen: string[]): ControllerSpec {
  return {
    name: 'recorder',
    watches: (c) => [watch(c.informers.informerFor(ConfigMaps, { namespace: ns }))],
    reconcile: (req) => {
      if (req.name !== 'kube-root-ca.crt') seen.push(`${req.cluster}/${req.name}`);
      return Promise.resolve();
    },
  };
}

describe('manager', () => {
  it('runs controllers on clusters as they are engaged, and stops when they are disengaged', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'clusters');
    const cms = new ResourceClient(client, ConfigMaps, ns);
    await cms.create({ metadata: { name: 'x' } });
    const provider = new ManualProvider(client);
    const seen: string[] = [];
    const manager = new Manager({ provider, clock: realClock, log: testLogger() });
    manager.add(recordingSpec(ns, seen));
    const abort = new AbortController();
    const running = manager.start(abort.signal);
    try {
      await eventually('the provider to be running', () => provider.sink);
      await provider.add('one');
      await provider.add('two');
      await eventually('both clusters reconciled', () =>
        seen.includes('one/x') && seen.includes('two/x') ? true : undefined,
      );
      expect(manager.engagedClusters.sort()).toEqual(['one', 'two']);

      await provider.remove('two');
      expect(manager.engagedClusters).toEqual(['one']);
      seen.length = 0;
      await cms.create({ metadata: { name: 'y' } });
      await eventually('the change reconciled on the engaged cluster', () =>
        seen.includes('one/y') ? true : undefined,
      );
      // One cluster's informer is left, so one watch; nothing more arrives for "two".
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.filter((s) => s.startsWith('two/'))).toEqual([]);
      expect(client.openWatches).toBe(1);
    } finally {
      abort.abort();
      await running;
    }
    expect(manager.engagedClusters).toEqual([]);
    expect(client.openWatches).toBe(0);
  });

  it('runs controllers only in the replica that holds the lease, and hands over on stop', async () => {
    const client = await kubeAdmin();
    const ns = await testNamespace(client, 'leader');
    await new ResourceClient(client, ConfigMaps, ns).create({ metadata: { name: 'x' } });
    const replicas = ['a', 'b'].map((identity) => {
      const seen: string[] = [];
      const provider = new ManualProvider(client);
      const manager = new Manager({
        provider,
        clock: realClock,
        log: testLogger(),
        leaderElection: leaseGate({
          client,
          namespace: ns,
          name: 'manager-test',
          identity,
          leaseDurationMs: 4000,
          renewDeadlineMs: 3000,
          retryPeriodMs: 500,
        }),
      });
      manager.add(recordingSpec(ns, seen));
      const abort = new AbortController();
      const running = manager.start(abort.signal);
      // The provider engages its cluster once the manager leads and runs it.
      void eventually('leading', () => provider.sink, { timeoutMs: 30_000 })
        .then(() => provider.add('c'))
        .catch(() => undefined);
      return { identity, seen, abort, running };
    });
    try {
      const leader = await eventually('one replica to reconcile', () =>
        replicas.find((r) => r.seen.includes('c/x')),
      );
      const follower = replicas.find((r) => r !== leader);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(follower?.seen).toEqual([]);
      const lease = await new ResourceClient(client, Leases, ns).get('manager-test');
      expect(lease.spec?.holderIdentity).toBe(leader.identity);

      const stoppedAt = performance.now();
      leader.abort.abort();
      await leader.running;
      await eventually('the other replica to take over', () =>
        follower?.seen.includes('c/x') ? true : undefined,
      );
      // A released lease is taken at the next attempt, not after it expires.
      expect(performance.now() - stoppedAt).toBeLessThan(4000);
    } finally {
      for (const r of replicas) r.abort.abort();
      await Promise.allSettled(replicas.map((r) => r.running));
    }
  });
});
