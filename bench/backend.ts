// Backend benchmark (issue 5): 1,000 APIServiceExportRequests over 200 consumers against a
// private etcd + kube-apiserver, with `bin/backend` as a separate process.
//   - time from the first request until all are Succeeded;
//   - API requests the backend issued per export, reads and writes, from the kube-apiserver's own
//     apiserver_request_total (the driver's requests, counted by its client, are subtracted, and
//     only the resources the backend works with are counted, which leaves out the apiserver's
//     own lease traffic);
//   - requests during 15 s of steady state afterwards (reads should be none: all from caches);
//   - the backend's peak RSS (VmHWM).
// Run with `npm run bench:backend` (KBT_BENCH_CONSUMERS, KBT_BENCH_REQUESTS_PER_CONSUMER).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { KubeClient, type RequestRecord } from '../src/kube/client.ts';
import { installCRDs } from '../src/kube/crds.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { ClusterRoles, Namespaces } from '../src/kube/resources.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { spawnBackend, stopChild } from './lib/backend-process.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { peakRssMiB } from './lib/proc.ts';
import { minus, readsAndWrites, RequestCounter, type Counts } from './lib/requests.ts';
import { tableRow, tableRule } from './lib/table.ts';
import { until } from './lib/wait.ts';

const consumers = Number(process.env['KBT_BENCH_CONSUMERS'] ?? 200);
const perConsumer = Number(process.env['KBT_BENCH_REQUESTS_PER_CONSUMER'] ?? 5);
const total = consumers * perConsumer;

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

/** What the kube-apiserver served on the backend's resources, by anyone. */
async function scrape(admin: KubeClient): Promise<Counts> {
  return counter.fromMetrics(
    await admin.request<string>('GET', '/metrics'),
    'apiserver_request_total',
  );
}

/** The driver's own requests since `from`, to be subtracted. */
const driverSince = (records: readonly RequestRecord[], from: number): Counts =>
  counter.fromRecords(records.slice(from));

const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-backend-'));
process.stderr.write('starting etcd + kube-apiserver…\n');
const cluster = await startKubeCluster({ name: 'bench', baseDir: dir, controllerManager: false });
const driverRecords: RequestRecord[] = [];
const admin = new KubeClient(cluster.adminConnection(), {
  userAgent: 'bench-driver',
  observer: (r) => driverRecords.push(r),
});
let backendPid: number | undefined;
try {
  await installCRDs(admin, [...kubeBindCRDs(), ...wildwestCRDs()], { fieldManager: 'bench' });
  const namespaces = new ResourceClient(admin, Namespaces);
  await Promise.all(
    Array.from({ length: consumers }, (_, i) =>
      namespaces.create({ metadata: { name: `cluster-bench-${i}` } }),
    ),
  );

  process.stderr.write('starting bin/backend…\n');
  const { child } = await spawnBackend(cluster.adminKubeconfigPath);
  backendPid = child.pid;
  // The cluster controller's role appears once the controllers run.
  const roles = new ResourceClient(admin, ClusterRoles);
  await until(
    "the cluster controller's ClusterRole",
    () => roles.get('kube-bind-oidc-user').catch(() => undefined),
    { timeoutMs: Infinity },
  );
  await sleep(2000);

  const before = await scrape(admin);
  const driverBefore = driverRecords.length;
  const started = performance.now();
  await forEachBounded(total, 16, async (i) => {
    const ns = `cluster-bench-${Math.floor(i / perConsumer)}`;
    await new ResourceClient(admin, kb.APIServiceExportRequests, ns).create({
      metadata: { name: `r${i % perConsumer}` },
      spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
    });
  });
  const requests = new ResourceClient(admin, kb.APIServiceExportRequests);
  await until(
    `all ${total} requests Succeeded`,
    async () => {
      const list = await requests.listAll();
      const done = list.items.filter((r) => r.status?.phase === 'Succeeded').length;
      const failed = list.items.filter((r) => r.status?.phase === 'Failed').length;
      if (failed > 0) throw new Error(`${failed} requests failed`);
      return done === total || undefined;
    },
    { timeoutMs: Infinity, intervalMs: 250 },
  );
  const seconds = (performance.now() - started) / 1000;
  // The other controllers (RBAC, namespaces, hashes) may still be working: wait until the backend
  // issues nothing for 2 s, and count everything up to then.
  let last = await scrape(admin);
  let lastDriver = driverRecords.length;
  for (;;) {
    await sleep(2000);
    const now = await scrape(admin);
    const delta = readsAndWrites(minus(minus(now, last), driverSince(driverRecords, lastDriver)));
    last = now;
    lastDriver = driverRecords.length;
    if (delta.reads === 0 && delta.writes === 0) break;
  }
  const settled = (performance.now() - started) / 1000 - 2;
  const backend = readsAndWrites(
    minus(minus(last, before), driverSince(driverRecords, driverBefore)),
  );

  // Steady state: nothing changes; what does the backend ask for?
  const steadyDriverBefore = driverRecords.length;
  const steadyBefore = await scrape(admin);
  await sleep(15_000);
  const steady = readsAndWrites(
    minus(minus(await scrape(admin), steadyBefore), driverSince(driverRecords, steadyDriverBefore)),
  );
  const rss = backendPid === undefined ? 0 : peakRssMiB(backendPid);

  const columns = [{ width: 44 }, { width: 28 }];
  const row = (name: string, value: string) => tableRow([name, value], columns);
  process.stdout.write(
    [
      '',
      `backend benchmark: ${total} export requests over ${consumers} consumers`,
      row('measure', 'figure'),
      tableRule(columns),
      row('all Succeeded after', `${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s)`),
      row('everything settled (RBAC, hashes) after', `≈${settled.toFixed(0)} s`),
      row('backend API requests per export (reads)', (backend.reads / total).toFixed(2)),
      row('backend API requests per export (writes)', (backend.writes / total).toFixed(2)),
      row('steady state, 15 s: reads / writes', `${steady.reads} / ${steady.writes}`),
      row('backend peak RSS', `${rss.toFixed(0)} MiB`),
      '',
    ].join('\n'),
  );
  await stopChild(child);
} finally {
  await admin.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
