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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { freePort } from '../test/harness/ports.ts';

const consumers = Number(process.env['KBT_BENCH_CONSUMERS'] ?? 200);
const perConsumer = Number(process.env['KBT_BENCH_REQUESTS_PER_CONSUMER'] ?? 5);
const total = consumers * perConsumer;
const repo = join(import.meta.dirname, '..');

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
const readVerbs = new Set(['GET', 'LIST', 'WATCH']);

type Counts = { reads: number; writes: number };

async function scrape(admin: KubeClient): Promise<Counts> {
  const text = await admin.request<string>('GET', '/metrics');
  const counts = { reads: 0, writes: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    if (!backendResources.has(labels['resource'] ?? '')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (readVerbs.has(labels['verb'] ?? '')) counts.reads += value;
    else counts.writes += value;
  }
  return counts;
}

const minus = (a: Counts, b: Counts): Counts => ({
  reads: a.reads - b.reads,
  writes: a.writes - b.writes,
});

function countDriver(records: RequestRecord[]): Counts {
  const counts = { reads: 0, writes: 0 };
  for (const r of records) {
    if (!backendResources.has(r.resource)) continue;
    if (readVerbs.has(r.verb.toUpperCase())) counts.reads++;
    else counts.writes++;
  }
  return counts;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

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
  const origin = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    join(repo, 'bin/backend'),
    [
      '--kubeconfig',
      cluster.adminKubeconfigPath,
      '--leader-elect=false',
      `--listen-address=${new URL(origin).host}`,
      '--oidc-type=embedded',
      `--oidc-issuer-url=${origin}/oidc`,
      `--oidc-callback-url=${origin}/api/callback`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  backendPid = child.pid;
  // The cluster controller's role appears once the controllers run.
  for (;;) {
    const role = await new ResourceClient(admin, ClusterRoles)
      .get('kube-bind-oidc-user')
      .catch(() => undefined);
    if (role) break;
    await sleep(200);
  }
  await sleep(2000);

  const before = await scrape(admin);
  const driverBefore = driverRecords.length;
  const started = performance.now();
  let next = 0;
  const create = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const ns = `cluster-bench-${Math.floor(i / perConsumer)}`;
      await new ResourceClient(admin, kb.APIServiceExportRequests, ns).create({
        metadata: { name: `r${i % perConsumer}` },
        spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, create));
  const requests = new ResourceClient(admin, kb.APIServiceExportRequests);
  for (;;) {
    const list = await requests.listAll();
    const done = list.items.filter((r) => r.status?.phase === 'Succeeded').length;
    const failed = list.items.filter((r) => r.status?.phase === 'Failed').length;
    if (failed > 0) throw new Error(`${failed} requests failed`);
    if (done === total) break;
    await sleep(250);
  }
  const seconds = (performance.now() - started) / 1000;
  // The other controllers (RBAC, namespaces, hashes) may still be working: wait until the backend
  // issues nothing for 2 s, and count everything up to then.
  let last = await scrape(admin);
  let lastDriver = driverRecords.length;
  for (;;) {
    await sleep(2000);
    const now = await scrape(admin);
    const own = countDriver(driverRecords.slice(lastDriver));
    const delta = minus(minus(now, last), own);
    last = now;
    lastDriver = driverRecords.length;
    if (delta.reads === 0 && delta.writes === 0) break;
  }
  const settled = (performance.now() - started) / 1000 - 2;
  const driver = countDriver(driverRecords.slice(driverBefore));
  const backend = minus(minus(last, before), driver);

  // Steady state: nothing changes; what does the backend ask for?
  const steadyDriverBefore = driverRecords.length;
  const steadyBefore = await scrape(admin);
  await sleep(15_000);
  const steady = minus(
    minus(await scrape(admin), steadyBefore),
    countDriver(driverRecords.slice(steadyDriverBefore)),
  );
  const rss = backendPid === undefined ? 0 : peakRssMiB(backendPid);

  const row = (name: string, value: string) => `| ${name.padEnd(44)} | ${value.padEnd(28)} |`;
  process.stdout.write(
    [
      '',
      `backend benchmark: ${total} export requests over ${consumers} consumers`,
      row('measure', 'figure'),
      row('-'.repeat(44), '-'.repeat(28)),
      row('all Succeeded after', `${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s)`),
      row('everything settled (RBAC, hashes) after', `≈${settled.toFixed(0)} s`),
      row('backend API requests per export (reads)', (backend.reads / total).toFixed(2)),
      row('backend API requests per export (writes)', (backend.writes / total).toFixed(2)),
      row('steady state, 15 s: reads / writes', `${steady.reads} / ${steady.writes}`),
      row('backend peak RSS', `${rss.toFixed(0)} MiB`),
      '',
    ].join('\n'),
  );
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  await admin.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
