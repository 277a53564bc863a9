// Runtime benchmarks against a real kube-apiserver (started here, or KBT_BENCH_KUBECONFIG):
//   1. informer memory per 10,000 objects (heap growth, and its ratio to the objects' JSON size)
//   2. no-op reconcile throughput over 10,000 objects (1 and 8 workers)
//   3. watch-event-to-reconcile latency, p50/p99, for updates made one at a time
// Run with `npm run bench`. Figures, not pass/fail: nothing here is a test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { KubeClient } from '../src/kube/client.ts';
import { connectionFromKubeconfig } from '../src/kube/config.ts';
import type { ClusterConnection } from '../src/kube/config.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { ConfigMaps, Namespaces } from '../src/kube/resources.ts';
import { SingleClusterProvider } from '../src/providers/default/single-cluster.ts';
import { SharedInformerFactory } from '../src/runtime/cache/factory.ts';
import { namespacedKey } from '../src/runtime/cache/keys.ts';
import { realClock } from '../src/runtime/clock.ts';
import { watch } from '../src/runtime/controller/handlers.ts';
import type { ControllerSpec } from '../src/runtime/controller/controller.ts';
import { Manager } from '../src/runtime/manager/manager.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { ascending, percentile } from './lib/percentile.ts';

const objects = Number(process.env['KBT_BENCH_OBJECTS'] ?? 10_000);
const latencySamples = Number(process.env['KBT_BENCH_LATENCY_SAMPLES'] ?? 500);
const log = pino({ level: 'silent' });
const gc = (globalThis as { gc?: () => void }).gc;

async function connect(): Promise<{ conn: ClusterConnection; stop: () => Promise<void> }> {
  const file = process.env['KBT_BENCH_KUBECONFIG'];
  if (file) return { conn: await connectionFromKubeconfig({ file }), stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-'));
  process.stderr.write('starting etcd + kube-apiserver…\n');
  const cluster = await startKubeCluster({ name: 'bench', baseDir: dir, controllerManager: false });
  return {
    conn: cluster.adminConnection(),
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createObjects(cms: ResourceClient<ConfigMap>, n: number): Promise<number> {
  let bytes = 0;
  await forEachBounded(n, 32, async (i) => {
    const cm = await cms.create({
      metadata: { name: `obj-${i}`, labels: { app: 'bench', shard: String(i % 16) } },
      data: { config: `value-${i}`.padEnd(64, '.') },
    });
    bytes += JSON.stringify(cm).length;
  });
  return bytes;
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function informerMemory(client: KubeClient, ns: string, jsonBytes: number) {
  const before = heapUsed();
  const factory = new SharedInformerFactory({ client, clock: realClock, log });
  const informer = factory.informerFor(ConfigMaps, { namespace: ns });
  const started = performance.now();
  factory.start();
  await factory.waitForSync();
  const syncMs = performance.now() - started;
  const after = heapUsed();
  const count = informer.lister.size;
  await factory.stop();
  return { count, heapBytes: after - before, jsonBytes, syncMs };
}

function noopSpec(
  ns: string,
  workers: number,
  onReconcile: (name: string) => void,
): ControllerSpec {
  return {
    name: `noop-${workers}`,
    workers,
    watches: (c) => [watch(c.informers.informerFor(ConfigMaps, { namespace: ns }))],
    reconcile: (req) => {
      onReconcile(req.name);
      return Promise.resolve();
    },
  };
}

function runManager(conn: ClusterConnection, spec: ControllerSpec): () => Promise<void> {
  const provider = new SingleClusterProvider({ connection: conn, clock: realClock, log });
  const manager = new Manager({ provider, clock: realClock, log });
  manager.add(spec);
  const abort = new AbortController();
  const running = manager.start(abort.signal);
  return async () => {
    abort.abort();
    await running;
  };
}

/** Reconciles per second from engagement (cache synced, all objects enqueued) to the last one. */
async function throughput(conn: ClusterConnection, ns: string, workers: number) {
  const seen = new Set<string>();
  let firstAt = 0;
  let lastAt = 0;
  let resolveDone = (): void => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const stop = runManager(
    conn,
    noopSpec(ns, workers, (name) => {
      if (seen.size === 0) firstAt = performance.now();
      seen.add(name);
      lastAt = performance.now();
      if (seen.size >= objects) resolveDone();
    }),
  );
  await done;
  await stop();
  const seconds = (lastAt - firstAt) / 1000;
  return { workers, reconciles: seen.size, seconds, perSecond: seen.size / seconds };
}

/** Time from sending an update to the reconcile that sees it, one update at a time. */
async function latency(conn: ClusterConnection, client: KubeClient, ns: string) {
  const cms = new ResourceClient(client, ConfigMaps, ns);
  const waiting = new Map<string, { sentAt: number; resolve: (ms: number) => void }>();
  let informer: ReturnType<SharedInformerFactory['informerFor']> | undefined;
  const stop = runManager(conn, {
    name: 'latency',
    workers: 4,
    watches: (c) => {
      informer = c.informers.informerFor(ConfigMaps, { namespace: ns });
      return [watch(informer)];
    },
    reconcile: (req) => {
      const cm = informer?.lister.get(namespacedKey(req.namespace, req.name)) as
        { data?: Record<string, string> } | undefined;
      const token = cm?.data?.['token'];
      const w = token ? waiting.get(token) : undefined;
      if (token && w) {
        waiting.delete(token);
        w.resolve(performance.now() - w.sentAt);
      }
      return Promise.resolve();
    },
  });
  await new Promise((r) => setTimeout(r, 2000)); // let the initial adds drain
  const samples: number[] = [];
  for (let i = 0; i < latencySamples; i++) {
    const token = `t${i}`;
    const measured = new Promise<number>((resolve) => {
      waiting.set(token, { sentAt: performance.now(), resolve });
    });
    await cms.patch(`obj-${i % objects}`, 'application/merge-patch+json', { data: { token } });
    samples.push(await measured);
  }
  await stop();
  const sorted = ascending(samples);
  return {
    samples: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

async function main(): Promise<void> {
  if (!gc) process.stderr.write('note: run with --expose-gc for steadier memory figures\n');
  const { conn, stop } = await connect();
  const client = new KubeClient(conn);
  const ns = `bench-${Date.now().toString(36)}`;
  try {
    await new ResourceClient(client, Namespaces).create({ metadata: { name: ns } });
    const cms = new ResourceClient(client, ConfigMaps, ns);
    process.stderr.write(`creating ${objects} config maps…\n`);
    const createStart = performance.now();
    const jsonBytes = await createObjects(cms, objects);
    const createSeconds = (performance.now() - createStart) / 1000;

    const mem = await informerMemory(client, ns, jsonBytes);
    const t1 = await throughput(conn, ns, 1);
    const t8 = await throughput(conn, ns, 8);
    const lat = await latency(conn, client, ns);

    const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
    const lines = [
      `objects                          ${objects} config maps (created at ${(objects / createSeconds).toFixed(0)}/s)`,
      `informer memory                  ${mb(mem.heapBytes)} MiB heap for ${mem.count} objects = ${(mem.heapBytes / mem.count / 1024).toFixed(2)} KiB/object (per 10,000: ${mb((mem.heapBytes / mem.count) * 10_000)} MiB)`,
      `  ratio to JSON size             ${(mem.heapBytes / mem.jsonBytes).toFixed(2)}× (${mb(mem.jsonBytes)} MiB of JSON)`,
      `  initial list+sync              ${mem.syncMs.toFixed(0)} ms`,
      `no-op reconcile throughput       1 worker: ${t1.perSecond.toFixed(0)}/s (${t1.seconds.toFixed(2)} s for ${t1.reconciles})`,
      `                                 8 workers: ${t8.perSecond.toFixed(0)}/s (${t8.seconds.toFixed(2)} s for ${t8.reconciles})`,
      `  ratio 8 workers / 1 worker     ${(t8.perSecond / t1.perSecond).toFixed(2)}×`,
      `watch event → reconcile latency  p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms (${lat.samples} sequential updates, measured from sending the PATCH)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await client.close();
    await stop();
  }
}

await main();
