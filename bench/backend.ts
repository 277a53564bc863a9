// Backend benchmark: export requests over consumers against a private etcd +
// kube-apiserver, with `bin/backend` as a separate process, at two points: 1,000 requests over
// 200 consumers, and 5,000 over 1,000 consumers (each point on a fresh cluster and backend).
//   - time from the first request until all are Succeeded;
//   - API requests the backend issued per export, reads and writes, from the kube-apiserver's own
//     apiserver_request_total (the driver's requests, counted by its client, are subtracted, and
//     only the resources the backend works with are counted, which leaves out the apiserver's
//     own lease traffic);
//   - requests during 15 s of steady state afterwards (reads should be none: all from caches);
//   - the backend's peak RSS (VmHWM), against the footprint targets;
//   - the apiserver's own write rate: the cheapest creates (empty ConfigMaps) at the backend's
//     concurrency, before the backend starts; the time to Succeeded is printed as a multiple of
//     (the backend's writes until then ÷ that rate): 1.0× would be the apiserver's limit;
//   - the same limit for the writes the job actually makes: the apiserver's rate for each kind
//     alone (a custom resource's status patch costs it about twice a ConfigMap create), summed
//     over the backend's writes and the consumers' request creates (which it serves meanwhile);
//   - what bounds both on this machine: the CPU kube-apiserver and etcd spend per write of each
//     kind (measured with each rate), and during the run, each over the machine's cores.
// Run with `npm run bench:backend`; KBT_BENCH_CONSUMERS and KBT_BENCH_REQUESTS_PER_CONSUMER run
// one point of that size instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { serviceExportRequestWorkers } from '../src/backend/controllers/serviceexportrequest/controller.ts';
import { KubeClient, type RequestRecord } from '../src/kube/client.ts';
import { installCRDs } from '../src/kube/crds.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { Namespaces } from '../src/kube/resources.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { spawnBackend, stopChild, untilControllersRun } from './lib/backend-process.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { workBetween, workFigures, type WorkFigures } from './lib/backend-metrics.ts';
import { apiserverRatesByKind, apiserverWriteRate } from './lib/write-rate.ts';
import { watchArrivals } from './lib/arrivals.ts';
import { cpuSeconds, peakRssMiB } from './lib/proc.ts';
import {
  isWriteKey,
  minus,
  readsAndWrites,
  RequestCounter,
  total as totalOf,
  writesOnly,
  type Counts,
} from './lib/requests.ts';
import { tableRow, tableRule } from './lib/table.ts';
import { againstTarget } from './lib/target.ts';

interface Point {
  consumers: number;
  perConsumer: number;
  /** The peak RSS target for this size, MiB. */
  rssTargetMiB: number;
}

const points: readonly Point[] = process.env['KBT_BENCH_CONSUMERS']
  ? [
      {
        consumers: Number(process.env['KBT_BENCH_CONSUMERS']),
        perConsumer: Number(process.env['KBT_BENCH_REQUESTS_PER_CONSUMER'] ?? 5),
        rssTargetMiB: 128,
      },
    ]
  : [
      { consumers: 200, perConsumer: 5, rssTargetMiB: 128 },
      { consumers: 1000, perConsumer: 5, rssTargetMiB: 256 },
    ];

/**
 * Requests the backend has in flight at most: the serviceexportrequest controller's workers,
 * which issue nearly all of the writes, one after another within a reconcile.
 */
const backendConcurrency = serviceExportRequestWorkers;
/** How many creates measure the apiserver's write rate. */
const rateSamples = 2000;
/** The target for the time to Succeeded over (writes ÷ apiserver write rate). */
const machineLimitTarget = 1.5;

/** The resources the backend reads and writes (the apiserver's own traffic is elsewhere). */
const backendResources = new Set([
  'apiserviceexportrequests',
  'apiserviceexports',
  'boundschemas',
  'apiservicenamespaces',
  'clusterbindings',
  'clusters',
  'bindableresourcesrequests',
  'customresourcedefinitions',
  'namespaces',
  'secrets',
  'serviceaccounts',
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
  'events',
]);
const counter = new RequestCounter(backendResources);

interface ServeTime {
  /** Summed seconds (apiserver_request_duration_seconds_sum) by `VERB resource`. */
  seconds: Counts;
  count: Counts;
}

/**
 * What the kube-apiserver served on the backend's resources, by anyone, from one read of its
 * /metrics: the requests by `VERB resource`, and the time spent serving them.
 */
async function scrape(admin: KubeClient): Promise<{ requests: Counts; serve: ServeTime }> {
  const text = await admin.request<string>('GET', '/metrics');
  return {
    requests: counter.fromMetrics(text, 'apiserver_request_total'),
    serve: {
      seconds: counter.fromMetrics(text, 'apiserver_request_duration_seconds_sum'),
      count: counter.fromMetrics(text, 'apiserver_request_duration_seconds_count'),
    },
  };
}

/** The apiserver's mean time per write, ms, most first: which writes cost it most. */
function meanServeMs(a: ServeTime, b: ServeTime): string {
  const seconds = minus(b.seconds, a.seconds);
  const count = minus(b.count, a.count);
  return (
    [...seconds]
      .filter(([key]) => isWriteKey(key) && (count.get(key) ?? 0) > 0)
      .map(([key, s]): [string, number] => [key, (s / (count.get(key) ?? 1)) * 1000])
      .sort((x, y) => y[1] - x[1])
      .map(([key, ms]) => `${key} ${ms.toFixed(1)}`)
      .join(', ') || 'none'
  );
}

/** The driver's own requests since `from`, to be subtracted. */
const driverSince = (records: readonly RequestRecord[], from: number): Counts =>
  counter.fromRecords(records.slice(from));

/**
 * The writes the job needs (docs/controllers.md §5.5), by request: per export the export, its RBAC (a Role
 * and its RoleBinding) and one status write each for the request and the export; per consumer one
 * BoundSchema (all of a consumer's requests here are for cowboys, which share it).
 */
function neededWrites(consumers: number, exports: number): Counts {
  return new Map([
    ['POST apiserviceexports', exports],
    ['POST roles', exports],
    ['POST rolebindings', exports],
    ['PATCH apiserviceexportrequests/status', exports],
    ['PATCH apiserviceexports/status', exports],
    ['POST boundschemas', consumers],
  ]);
}

/** The non-zero entries per export, most first: which requests make up a figure. */
function breakdown(c: Counts, exports: number): string {
  return (
    [...c]
      .filter(([, n]) => Math.abs(n / exports) >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ${(n / exports).toFixed(2)}`)
      .join(', ') || 'none'
  );
}

async function runPoint({ consumers, perConsumer, rssTargetMiB }: Point): Promise<string> {
  const total = consumers * perConsumer;
  const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-backend-'));
  process.stderr.write(
    `${total} requests over ${consumers} consumers: starting etcd + kube-apiserver…\n`,
  );
  const cluster = await startKubeCluster({ name: 'bench', baseDir: dir, controllerManager: false });
  const driverRecords: RequestRecord[] = [];
  const admin = new KubeClient(cluster.adminConnection(), {
    userAgent: 'bench-driver',
    observer: (r) => driverRecords.push(r),
  });
  try {
    await installCRDs(admin, [...kubeBindCRDs(), ...wildwestCRDs()], { fieldManager: 'bench' });
    const namespaces = new ResourceClient(admin, Namespaces);
    await forEachBounded(consumers, 16, async (i) => {
      await namespaces.create({ metadata: { name: `cluster-bench-${i}` } });
    });
    process.stderr.write("measuring the apiserver's write rate…\n");
    const serverCpu = () =>
      cluster.processes.reduce((sum, p) => sum + (p.pid === undefined ? 0 : cpuSeconds(p.pid)), 0);
    const probe = { creates: rateSamples, concurrency: backendConcurrency, serverCpu };
    const rateBefore = await apiserverWriteRate(cluster.adminConnection(), probe);
    process.stderr.write("measuring the apiserver's rate for each kind of write…\n");
    const [cowboys] = wildwestCRDs();
    if (!cowboys) throw new Error('no cowboys CRD');
    const rates = await apiserverRatesByKind(cluster.adminConnection(), probe, cowboys);

    process.stderr.write('starting bin/backend…\n');
    const { child, origin } = await spawnBackend(cluster.adminKubeconfigPath);
    const work = async (): Promise<WorkFigures> =>
      workFigures(await (await fetch(`${origin}/metrics`)).text());
    const backendPid = child.pid;
    let stopped = false;
    try {
      await untilControllersRun(admin);
      await sleep(2000);

      const before = await scrape(admin);
      const driverBefore = driverRecords.length;
      const cpuBefore = backendPid === undefined ? 0 : cpuSeconds(backendPid);
      const workBefore = await work();
      // Finished requests are stamped by a watch, not by listing them all again and again: a
      // list of thousands of objects every 250 ms would load the apiserver being measured.
      const requests = new ResourceClient(admin, kb.APIServiceExportRequests);
      const keyOf = (i: number) =>
        `cluster-bench-${Math.floor(i / perConsumer)}/r${i % perConsumer}`;
      const finished = watchArrivals(
        requests,
        (await requests.list({ limit: 1 })).metadata?.resourceVersion ?? '',
        (r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed',
        Array.from({ length: total }, (_, i) => keyOf(i)),
        (r) => `${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`,
      );
      const started = performance.now();
      const serverCpuBefore = serverCpu();
      const driverCpuBefore = process.cpuUsage();
      let serverCpuUntilSucceeded = 0;
      let driverCpuUntilSucceeded = 0;
      let untilSucceeded: Counts = new Map();
      try {
        await forEachBounded(total, 16, async (i) => {
          const ns = `cluster-bench-${Math.floor(i / perConsumer)}`;
          await new ResourceClient(admin, kb.APIServiceExportRequests, ns).create({
            metadata: { name: `r${i % perConsumer}` },
            spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
          });
        });
        await finished.all(30 * 60_000);
        serverCpuUntilSucceeded = serverCpu() - serverCpuBefore;
        const driverCpu = process.cpuUsage(driverCpuBefore);
        driverCpuUntilSucceeded = (driverCpu.user + driverCpu.system) / 1e6;
        untilSucceeded = minus(
          minus((await scrape(admin)).requests, before.requests),
          counter.fromRecords(driverRecords.slice(driverBefore)),
        );
      } finally {
        await finished.stop();
      }
      const lastFinished = Math.max(...finished.at.values());
      const failed = (await requests.listAll()).items.filter((r) => r.status?.phase === 'Failed');
      if (failed.length > 0) throw new Error(`${failed.length} requests failed`);
      const seconds = (lastFinished - started) / 1000;
      const cpu = backendPid === undefined ? 0 : cpuSeconds(backendPid) - cpuBefore;
      const done = workBetween(workBefore, await work());
      // The other controllers (RBAC, namespaces, hashes) may still be working: wait until the
      // backend issues nothing for 2 s, and count everything up to then.
      let last = await scrape(admin);
      let lastDriver = driverRecords.length;
      for (;;) {
        await sleep(2000);
        const now = await scrape(admin);
        const delta = readsAndWrites(
          minus(minus(now.requests, last.requests), driverSince(driverRecords, lastDriver)),
        );
        last = now;
        lastDriver = driverRecords.length;
        if (delta.reads === 0 && delta.writes === 0) break;
      }
      const settled = (performance.now() - started) / 1000 - 2;
      const serveMs = meanServeMs(before.serve, last.serve);
      const counts = minus(
        minus(last.requests, before.requests),
        driverSince(driverRecords, driverBefore),
      );
      const backend = readsAndWrites(counts);
      const writes = writesOnly(counts);

      // Steady state: nothing changes; what does the backend ask for?
      const steadyDriverBefore = driverRecords.length;
      const steadyBefore = (await scrape(admin)).requests;
      await sleep(15_000);
      const steady = readsAndWrites(
        minus(
          minus((await scrape(admin)).requests, steadyBefore),
          driverSince(driverRecords, steadyDriverBefore),
        ),
      );
      const rss = backendPid === undefined ? 0 : peakRssMiB(backendPid);
      // Measured again once the backend is gone, and averaged: this machine's speed drifts by
      // up to 2× within minutes, and one probe before the run sometimes caught a slow moment.
      await stopChild(child);
      stopped = true;
      process.stderr.write("measuring the apiserver's write rate again…\n");
      const rateAfter = await apiserverWriteRate(cluster.adminConnection(), probe);
      const rate = (rateBefore.rate + rateAfter.rate) / 2;
      const configMapCpuMs = (rateBefore.cpuMs + rateAfter.cpuMs) / 2;
      // The time the apiserver alone would need for the job's writes (the machine's limit).
      const floor = backend.writes / rate;
      // The writes made until all were Succeeded, each at the rate the apiserver manages for its
      // kind alone, and the consumers' request creates, which it serves within the same seconds.
      const secondsFor = (key: string, n: number) => n / (rates.get(key)?.rate ?? rate);
      const backendSeconds = [...writesOnly(untilSucceeded)].reduce(
        (sum, [key, n]) => sum + secondsFor(key, n),
        0,
      );
      const consumerSeconds = secondsFor('POST apiserviceexportrequests', total);
      const kindFloor = backendSeconds + consumerSeconds;
      // The same writes bounded by CPU instead: what kube-apiserver and etcd spend on each kind
      // alone, spread over every core with nothing else running. No backend can make them faster.
      const cores = availableParallelism();
      const cpuFor = (key: string, n: number) =>
        (n * (rates.get(key)?.cpuMs ?? configMapCpuMs)) / 1000;
      const kindCpu =
        [...writesOnly(untilSucceeded)].reduce((sum, [key, n]) => sum + cpuFor(key, n), 0) +
        cpuFor('POST apiserviceexportrequests', total);
      const needed = neededWrites(consumers, total);
      const extra = new Map([...minus(writes, needed)].filter(([, n]) => n > 0));

      const columns = [{ width: 44 }, { width: 60 }];
      const row = (name: string, value: string) => tableRow([name, value], columns);
      return [
        '',
        `backend benchmark: ${total} export requests over ${consumers} consumers`,
        row('measure', 'figure'),
        tableRule(columns),
        row('all Succeeded after', `${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s)`),
        row('everything settled (RBAC, hashes) after', `≈${settled.toFixed(0)} s`),
        row(
          'backend CPU until Succeeded',
          `${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)}% of one core), ` +
            `${((cpu / total) * 1000).toFixed(2)} ms per export`,
        ),
        row(
          'backend API requests in flight, mean; latency',
          `${(done.requests.seconds / seconds).toFixed(1)}; ` +
            `${((done.requests.seconds / done.requests.count) * 1000).toFixed(1)} ms mean`,
        ),
        row('reconciles per export until Succeeded', breakdown(done.reconciles, total)),
        row('backend API requests per export (reads)', (backend.reads / total).toFixed(2)),
        row('backend API requests per export (writes)', (backend.writes / total).toFixed(2)),
        row('writes per export by request', breakdown(writes, total)),
        row(
          'writes per export: needed / made',
          `${(totalOf(needed) / total).toFixed(2)} / ${(backend.writes / total).toFixed(2)}; ` +
            `above the list: ${breakdown(extra, total)}`,
        ),
        row('apiserver time per write (mean ms)', serveMs),
        row('steady state, 15 s: reads / writes', `${steady.reads} / ${steady.writes}`),
        row(
          `apiserver write rate (${backendConcurrency} in flight)`,
          `${rate.toFixed(0)} creates/s (before the run ${rateBefore.rate.toFixed(0)}, ` +
            `after ${rateAfter.rate.toFixed(0)}); apiserver + etcd CPU ` +
            `${configMapCpuMs.toFixed(2)} ms per create`,
        ),
        row(
          'until Succeeded ÷ (writes ÷ write rate)',
          `${seconds.toFixed(1)} s ÷ (${backend.writes} ÷ ${rate.toFixed(0)}/s = ` +
            `${floor.toFixed(1)} s) = ${againstTarget(seconds / floor, machineLimitTarget, '×', 2)}`,
        ),
        row(
          `apiserver rate by kind of write (${backendConcurrency} in flight)`,
          [...rates]
            .map(([key, r]) => `${key} ${r.rate.toFixed(0)}/s (${r.cpuMs.toFixed(2)} ms CPU)`)
            .join(', '),
        ),
        row(
          'until Succeeded ÷ Σ (writes until then ÷ rate of their kind)',
          `${seconds.toFixed(1)} s ÷ (${backendSeconds.toFixed(1)} s backend + ` +
            `${consumerSeconds.toFixed(1)} s consumers' requests = ${kindFloor.toFixed(1)} s) = ` +
            `${(seconds / kindFloor).toFixed(2)}×`,
        ),
        row(
          `CPU until Succeeded, over ${cores} cores`,
          `apiserver + etcd ${serverCpuUntilSucceeded.toFixed(1)} s, backend ${cpu.toFixed(1)} s, ` +
            `driver ${driverCpuUntilSucceeded.toFixed(1)} s: ` +
            `${((serverCpuUntilSucceeded + cpu + driverCpuUntilSucceeded) / cores).toFixed(1)} s ` +
            `of the ${seconds.toFixed(1)} s`,
        ),
        row(
          `apiserver + etcd CPU until Succeeded, over ${cores} cores`,
          `${serverCpuUntilSucceeded.toFixed(1)} s ÷ ${cores} = ` +
            `${(serverCpuUntilSucceeded / cores).toFixed(1)} s = ` +
            `${(serverCpuUntilSucceeded / cores / floor).toFixed(2)}× the write-rate time`,
        ),
        row(
          `the same writes at their kinds' CPU alone, over ${cores} cores`,
          `${kindCpu.toFixed(1)} s ÷ ${cores} = ${(kindCpu / cores).toFixed(1)} s = ` +
            `${(kindCpu / cores / floor).toFixed(2)}× the write-rate time (the least for them here)`,
        ),
        row('backend peak RSS', againstTarget(rss, rssTargetMiB, 'MiB')),
        '',
      ].join('\n');
    } finally {
      if (!stopped) await stopChild(child);
    }
  } finally {
    await admin.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const point of points) process.stdout.write(await runPoint(point));
