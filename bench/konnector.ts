// Konnector benchmark (issue 7 item 4): bin/konnector syncing 1,000 cowboys between two private
// clusters (etcd + kube-apiserver + kube-controller-manager each), with bin/backend
// (--frontend-disabled) on the provider:
//   - spec sync latency consumer → provider, p50/p99: from the consumer create call returning
//     until a watch on the provider delivers the copy; and the time until all are there;
//   - status sync latency provider → consumer, p50/p99: from the provider status patch returning
//     until a watch on the consumer delivers that status;
//   - the konnector's memory (VmRSS, VmHWM) idle after engaging and after the objects synced;
//   - API requests the konnector issued per object on each cluster, reads and writes, from each
//     kube-apiserver's apiserver_request_total, less the driver's own requests (counted by its
//     client) and, on the provider, less the backend's (its own rest_client_requests_total).
// The consumer is provisioned like `kubectl bind` without a browser: a BindableResourcesRequest
// yields the kubeconfig of a contract namespace, an APIServiceExportRequest made with that
// kubeconfig exports cowboys, and the consumer gets the Secret and the APIServiceBinding.
// Run with `npm run bench:konnector` (KBT_BENCH_OBJECTS, KBT_BENCH_CONCURRENCY).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { connectionFromKubeconfig } from '../src/kube/config.ts';
import { KubeClient, PatchType, type RequestRecord } from '../src/kube/client.ts';
import { installCRDs, isEstablished } from '../src/kube/crds.ts';
import { ignoreNotFound } from '../src/kube/errors.ts';
import { ResourceClient, resourceType } from '../src/kube/resource.ts';
import { CustomResourceDefinitions, Namespaces, Secrets } from '../src/kube/resources.ts';
import { startKubeCluster, type KubeCluster } from '../test/harness/kube-cluster.ts';
import { freePort } from '../test/harness/ports.ts';
import { killAllNow, ManagedProcess } from '../test/harness/process.ts';

const objects = Number(process.env['KBT_BENCH_OBJECTS'] ?? 1000);
const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 16);
const repo = join(import.meta.dirname, '..');
const consumerNamespace = 'wild-west';
/** The export request, export and binding share this name (as `kubectl bind` does it). */
const exportName = 'cowboys';
/** Generous: a stuck object should fail the run with a list of what is missing, not hang it. */
const syncTimeoutMs = 120_000 + objects * 100;

interface Cowboy {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { intent?: string; horse?: string };
  status?: { result?: string };
}

const Cowboys = resourceType<Cowboy>({
  group: 'wildwest.dev',
  version: 'v1alpha1',
  resource: 'cowboys',
  kind: 'Cowboy',
  namespaced: true,
});

const nameOf = (i: number): string => `cowboy-${String(i).padStart(5, '0')}`;
const names = Array.from({ length: objects }, (_, i) => nameOf(i));
/** The status the driver sets on the provider copy of `name`, and expects back on the consumer. */
const resultFor = (name: string): string => `rode ${name}`;

// ---- API request counting -------------------------------------------------------------------

/**
 * The resources the konnector works with. Leases (its leader election, the apiservers' identity
 * leases) and namespaces (the apiservers' own system-namespace checks) are left out: that traffic
 * is periodic, not per object, and would otherwise be mixed with the apiservers' own.
 */
const countedResources = new Set([
  'cowboys',
  'apiservicebindings',
  'apiservicebindingbundles',
  'apiserviceexports',
  'apiserviceexportrequests',
  'apiservicenamespaces',
  'boundschemas',
  'clusterbindings',
  'customresourcedefinitions',
  'secrets',
  'configmaps',
  'serviceaccounts',
  'events',
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
]);
const readVerbs = new Set(['GET', 'LIST', 'WATCH']);
/** The client's verbs in the apiserver's spelling, so both counts use the same keys. */
const clientVerbs: Readonly<Record<string, string>> = { create: 'POST', update: 'PUT' };

/** Requests by `VERB resource[/subresource]`, e.g. `PUT cowboys/status`. */
type Counts = Map<string, number>;

function tally(counts: Counts, verb: string, resource: string, n = 1): void {
  if (!countedResources.has(resource.split('/')[0] ?? '')) return;
  const key = `${clientVerbs[verb] ?? verb.toUpperCase()} ${resource}`;
  counts.set(key, (counts.get(key) ?? 0) + n);
}

function minus(a: Counts, b: Counts): Counts {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) - v);
  return out;
}

function readsAndWrites(c: Counts): { reads: number; writes: number } {
  let [reads, writes] = [0, 0];
  for (const [key, n] of c) {
    if (readVerbs.has(key.split(' ')[0] ?? '')) reads += n;
    else writes += n;
  }
  return { reads, writes };
}

/** Sums one counter of a Prometheus text exposition by verb and resource. */
function countsFromMetrics(text: string, metric: string): Counts {
  const counts: Counts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const sub = labels['subresource'];
    const resource = `${labels['resource'] ?? ''}${sub ? `/${sub}` : ''}`;
    tally(counts, labels['verb'] ?? '', resource, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** What one kube-apiserver served, by anyone. */
async function apiserverCounts(admin: KubeClient): Promise<Counts> {
  return countsFromMetrics(await admin.request<string>('GET', '/metrics'), 'apiserver_request_total');
}

/** What a bin/backend or bin/konnector process says it sent (rest_client_requests_total). */
async function processCounts(metricsUrl: string): Promise<Counts> {
  const text = await (await fetch(metricsUrl)).text();
  return countsFromMetrics(text, 'rest_client_requests_total');
}

function recordCounts(records: readonly RequestRecord[]): Counts {
  const counts: Counts = new Map();
  for (const r of records) tally(counts, r.verb, r.resource);
  return counts;
}

// ---- clusters and processes -----------------------------------------------------------------

/** One cluster with the driver's admin client, whose requests are recorded to be subtracted. */
interface Side {
  cluster: KubeCluster;
  admin: KubeClient;
  records: RequestRecord[];
}

async function startSide(name: string, dir: string): Promise<Side> {
  process.stderr.write(`starting ${name}: etcd + kube-apiserver + kube-controller-manager…\n`);
  const cluster = await startKubeCluster({ name, baseDir: dir });
  const records: RequestRecord[] = [];
  const admin = new KubeClient(cluster.adminConnection(), {
    userAgent: 'bench-driver',
    observer: (r) => records.push(r),
  });
  return { cluster, admin, records };
}

async function stopSide(side: Side): Promise<void> {
  await side.admin.close();
  await side.cluster.stop();
}

interface Server {
  proc: ManagedProcess;
  /** Its /metrics. */
  metricsUrl: string;
}

/** Starts a bin/ script with a listener on a free port and waits for its `healthPath`. */
async function startServer(
  name: string,
  args: (address: string) => string[],
  healthPath: string,
  logDir: string,
): Promise<Server> {
  const address = `127.0.0.1:${await freePort()}`;
  const proc = new ManagedProcess({
    name,
    command: join(repo, 'bin', name),
    args: args(address),
    logDir,
    env: { LOG_LEVEL: 'warn' },
  });
  await until(`${name} to answer ${healthPath}`, async () => {
    if (!proc.running) throw new Error(`${name} exited:\n${proc.tail()}`);
    const ok = await fetch(`http://${address}${healthPath}`)
      .then((r) => r.ok)
      .catch(() => false);
    return ok || undefined;
  });
  return { proc, metricsUrl: `http://${address}/metrics` };
}

const startBackend = (provider: Side, logDir: string): Promise<Server> =>
  startServer(
    'backend',
    (address) => [
      `--kubeconfig=${provider.cluster.adminKubeconfigPath}`,
      '--leader-elect=false',
      '--frontend-disabled',
      `--listen-address=${address}`,
    ],
    '/healthz',
    logDir,
  );

const startKonnector = (consumer: Side, logDir: string): Promise<Server> =>
  startServer(
    'konnector',
    (address) => [
      `--kubeconfig=${consumer.cluster.adminKubeconfigPath}`,
      `--server-address=${address}`,
      '--lease-namespace=kube-system',
    ],
    '/readyz',
    logDir,
  );

// ---- small helpers --------------------------------------------------------------------------

/** Polls `check` (set-up only, never for a measurement) until it returns a value. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s: ${what}`);
    await sleep(200);
  }
}

/** Runs `fn(0..n-1)` with at most `limit` calls in flight. */
async function forEachBounded(
  n: number,
  limit: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

const condition = (
  obj: { status?: { conditions?: { type: string; status: string }[] } },
  type: string,
): string | undefined => obj.status?.conditions?.find((c) => c.type === type)?.status;

function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

// ---- provisioning ---------------------------------------------------------------------------

/**
 * A contract namespace and its kubeconfig from a BindableResourcesRequest, the provisioning path
 * of a backend without front door; returns the kubeconfig text.
 */
async function provisionConsumer(provider: Side): Promise<{ namespace: string; kubeconfig: string }> {
  const requests = new ResourceClient(provider.admin, kb.BindableResourcesRequests, 'default');
  await requests.create({
    metadata: { name: 'bench' },
    spec: {
      clusterIdentity: { identity: randomUUID(), prettyName: 'bench-consumer' },
      author: 'bench',
    },
  });
  const done = await until('the BindableResourcesRequest to succeed', async () => {
    const r = await requests.get('bench');
    if (r.status?.phase === 'Failed') throw new Error(`provisioning failed: ${JSON.stringify(r)}`);
    return r.status?.phase === 'Succeeded' ? r : undefined;
  });
  const secret = await new ResourceClient(provider.admin, Secrets, 'default').get(
    'bench-binding-response',
  );
  const response = JSON.parse(
    Buffer.from(secret.data?.['binding-response'] ?? '', 'base64').toString('utf8'),
  ) as { kubeconfig: string };
  return {
    namespace: done.status?.namespace ?? '',
    kubeconfig: Buffer.from(response.kubeconfig, 'base64').toString('utf8'),
  };
}

/** Requests the cowboys export with the consumer's own provider kubeconfig, as kubectl bind does. */
async function exportCowboys(kubeconfig: string, namespace: string): Promise<void> {
  const binder = new KubeClient(await connectionFromKubeconfig({ text: kubeconfig }), {
    userAgent: 'bench-binder',
  });
  try {
    const requests = new ResourceClient(binder, kb.APIServiceExportRequests, namespace);
    await requests.create({
      metadata: { name: exportName },
      spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }] },
    });
    await until('the APIServiceExportRequest to succeed', async () => {
      const r = await requests.get(exportName);
      if (r.status?.phase === 'Failed') throw new Error(`export failed: ${r.status.terminalMessage}`);
      return r.status?.phase === 'Succeeded' || undefined;
    });
  } finally {
    await binder.close();
  }
}

/** The provider kubeconfig Secret and the APIServiceBinding on the consumer. */
async function bindOnConsumer(consumer: Side, kubeconfig: string): Promise<void> {
  await new ResourceClient(consumer.admin, Namespaces).create({ metadata: { name: 'kube-bind' } });
  await new ResourceClient(consumer.admin, Secrets, 'kube-bind').create({
    metadata: { name: 'kubeconfig-bench', labels: { 'kube-bind.io/provider-kubeconfig': 'true' } },
    type: 'Opaque',
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  await new ResourceClient(consumer.admin, kb.APIServiceBindings).create({
    metadata: { name: exportName },
    spec: {
      kubeconfigSecretRef: { namespace: 'kube-bind', name: 'kubeconfig-bench', key: 'kubeconfig' },
    },
  });
}

async function waitUntilBound(consumer: Side): Promise<void> {
  const bindings = new ResourceClient(consumer.admin, kb.APIServiceBindings);
  await until('the APIServiceBinding to be Ready', async () =>
    condition(await bindings.get(exportName), 'Ready') === 'True' ? true : undefined,
  );
  const crds = new ResourceClient(consumer.admin, CustomResourceDefinitions);
  await until('the cowboys CRD to be Established on the consumer', async () => {
    const crd = await ignoreNotFound(crds.get('cowboys.wildwest.dev'));
    return crd && isEstablished(crd) ? true : undefined;
  });
}

/**
 * One cowboy synced before measuring: it makes the backend create the provider namespace and the
 * konnector start its informer there, which is set-up, not per-object work. Returns the provider
 * namespace.
 */
async function warmUp(provider: Side, consumer: Side, contractNamespace: string): Promise<string> {
  await new ResourceClient(consumer.admin, Namespaces).create({
    metadata: { name: consumerNamespace },
  });
  await new ResourceClient(consumer.admin, Cowboys, consumerNamespace).create({
    metadata: { name: 'warm-up' },
    spec: { intent: 'warm up' },
  });
  const serviceNamespaces = new ResourceClient(
    provider.admin,
    kb.APIServiceNamespaces,
    contractNamespace,
  );
  const providerNamespace = await until('the provider namespace', async () => {
    const sn = await ignoreNotFound(serviceNamespaces.get(consumerNamespace));
    return sn?.status?.namespace || undefined;
  });
  const copies = new ResourceClient(provider.admin, Cowboys, providerNamespace);
  await until('the warm-up cowboy on the provider', () => ignoreNotFound(copies.get('warm-up')));
  return providerNamespace;
}

/** Waits until the konnector has sent no counted request for `quietMs` (by its own count). */
async function konnectorQuiet(konnector: Server, quietMs = 2_000): Promise<void> {
  let last = await processCounts(konnector.metricsUrl);
  let since = Date.now();
  await until(
    'the konnector to go quiet',
    async () => {
      await sleep(250);
      const now = await processCounts(konnector.metricsUrl);
      if (now.reads !== last.reads || now.writes !== last.writes) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs || undefined;
    },
    syncTimeoutMs,
  );
}

// ---- measuring ------------------------------------------------------------------------------

/**
 * Watches `resource` from `resourceVersion` and stamps, per name, when an event first shows
 * `arrived(object)`: arrival times come from the watch, not from polling.
 */
function watchArrivals(
  resource: ResourceClient<Cowboy>,
  resourceVersion: string,
  arrived: (c: Cowboy) => boolean,
) {
  const at = new Map<string, number>();
  const abort = new AbortController();
  let failure: unknown;
  let rv = resourceVersion;
  const loop = (async () => {
    // The server may end a watch; resume from the last resourceVersion seen.
    while (!abort.signal.aborted) {
      const events = resource.watch({
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 600,
        signal: abort.signal,
      });
      for await (const ev of events) {
        const now = performance.now();
        if (ev.type === 'ERROR') throw new Error(`watch failed: ${JSON.stringify(ev.object)}`);
        rv = ev.object.metadata?.resourceVersion ?? rv;
        const name = ev.object.metadata?.name ?? '';
        if (ev.type !== 'BOOKMARK' && !at.has(name) && arrived(ev.object)) at.set(name, now);
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) failure = err;
  });
  return {
    at,
    /** Resolves once every name has arrived; fails with the missing ones after `timeoutMs`. */
    async all(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (names.some((n) => !at.has(n))) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          const missing = names.filter((n) => !at.has(n));
          throw new Error(
            `${missing.length} objects did not arrive in ${timeoutMs / 1000}s, e.g. ${missing.slice(0, 5).join(', ')}`,
          );
        }
        await sleep(20); // only the local map is polled; the stamps come from the watch
      }
    },
    async stop(): Promise<void> {
      abort.abort();
      await loop;
    },
  };
}

interface PhaseResult {
  /** Per object, arrival minus the driver's call returning, ascending (ms). */
  latencies: number[];
  /** From the first call until the last arrival (ms). */
  allArrivedMs: number;
  /** From the first call until the driver's last call returned (ms). */
  callsMs: number;
}

/**
 * Issues `call(name)` for every object (bounded concurrency), stamping its return, while
 * `watched` is watched for `arrived`; returns the latencies.
 */
async function measurePhase(
  watched: ResourceClient<Cowboy>,
  arrived: (c: Cowboy) => boolean,
  call: (name: string) => Promise<unknown>,
): Promise<PhaseResult> {
  const list = await watched.list({ limit: 1 });
  const arrivals = watchArrivals(watched, list.metadata?.resourceVersion ?? '', arrived);
  const returned = new Map<string, number>();
  const started = performance.now();
  try {
    await forEachBounded(objects, concurrency, async (i) => {
      const name = nameOf(i);
      await call(name);
      returned.set(name, performance.now());
    });
    const callsMs = performance.now() - started;
    await arrivals.all(syncTimeoutMs);
    const latencies = names
      .map((n) => (arrivals.at.get(n) ?? NaN) - (returned.get(n) ?? NaN))
      .sort((a, b) => a - b);
    const last = Math.max(...arrivals.at.values());
    return { latencies, allArrivedMs: last - started, callsMs };
  } finally {
    // Closed before the next scrape, so the apiserver has counted this watch by then.
    await arrivals.stop();
  }
}

/** Counters on both clusters and both processes at one moment. */
interface Snapshot {
  provider: Counts;
  consumer: Counts;
  backend: Counts;
  konnector: Counts;
  providerDriver: number;
  consumerDriver: number;
}

async function snapshot(env: Env): Promise<Snapshot> {
  return {
    provider: await apiserverCounts(env.provider.admin),
    consumer: await apiserverCounts(env.consumer.admin),
    backend: await processCounts(env.backend.metricsUrl),
    konnector: await processCounts(env.konnector.metricsUrl),
    // Taken after the scrapes, so the scrapes' own /metrics requests (resource "") fall before.
    providerDriver: env.provider.records.length,
    consumerDriver: env.consumer.records.length,
  };
}

interface KonnectorRequests {
  provider: Counts;
  consumer: Counts;
  /** The konnector's own count, both clusters together, as a cross-check. */
  selfReported: Counts;
}

/** The konnector's requests between two snapshots: the apiservers' counts less everyone else's. */
function konnectorRequests(env: Env, from: Snapshot, to: Snapshot): KonnectorRequests {
  const driver = (side: Side, a: number, b: number) => recordCounts(side.records.slice(a, b));
  return {
    provider: minus(
      minus(minus(to.provider, from.provider), minus(to.backend, from.backend)),
      driver(env.provider, from.providerDriver, to.providerDriver),
    ),
    consumer: minus(
      minus(to.consumer, from.consumer),
      driver(env.consumer, from.consumerDriver, to.consumerDriver),
    ),
    selfReported: minus(to.konnector, from.konnector),
  };
}

// ---- the run --------------------------------------------------------------------------------

interface Env {
  provider: Side;
  consumer: Side;
  backend: Server;
  konnector: Server;
  providerNamespace: string;
}

interface Results {
  spec: PhaseResult;
  status: PhaseResult;
  specRequests: KonnectorRequests;
  statusRequests: KonnectorRequests;
  idle: { rss: number; hwm: number };
  afterSpec: { rss: number; hwm: number };
  after: { rss: number; hwm: number };
}

async function measure(env: Env): Promise<Results> {
  const pid = env.konnector.proc.pid ?? 0;
  await konnectorQuiet(env.konnector);
  await sleep(2_000);
  const idle = memoryMiB(pid);
  const s0 = await snapshot(env);

  process.stderr.write(`creating ${objects} cowboys, ${concurrency} in flight…\n`);
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  const providerCowboys = new ResourceClient(env.provider.admin, Cowboys, env.providerNamespace);
  const spec = await measurePhase(
    providerCowboys,
    () => true,
    (name) =>
      consumerCowboys.create({ metadata: { name }, spec: { intent: 'ride', horse: 'silver' } }),
  );
  await konnectorQuiet(env.konnector);
  const afterSpec = memoryMiB(pid);
  const s1 = await snapshot(env);

  process.stderr.write(`patching ${objects} statuses on the provider…\n`);
  const status = await measurePhase(
    consumerCowboys,
    (c) => c.status?.result === resultFor(c.metadata?.name ?? ''),
    (name) =>
      providerCowboys.patch(
        name,
        PatchType.merge,
        { status: { result: resultFor(name) } },
        { subresource: 'status' },
      ),
  );
  await konnectorQuiet(env.konnector);
  const after = memoryMiB(pid);
  const s2 = await snapshot(env);
  return {
    spec,
    status,
    specRequests: konnectorRequests(env, s0, s1),
    statusRequests: konnectorRequests(env, s1, s2),
    idle,
    afterSpec,
    after,
  };
}

// ---- the report -----------------------------------------------------------------------------

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const perObject = (n: number): string => (n / objects).toFixed(2);
const ratePerS = (ms: number): number => objects / (ms / 1000);

function latencyRow(r: PhaseResult): string {
  const [p50, p99] = [percentile(r.latencies, 0.5), percentile(r.latencies, 0.99)];
  const max = r.latencies[r.latencies.length - 1] ?? NaN;
  return `${ms(p50)} / ${ms(p99)} / ${ms(max)} (p99/p50 ${(p99 / p50).toFixed(1)}×)`;
}

function requestsRow(c: Counts): string {
  return `${perObject(c.reads)} / ${perObject(c.writes)}`;
}

function report(env: Env, r: Results): string {
  const rssGrowth = r.after.rss - r.idle.rss;
  const perThousand = (rssGrowth / objects) * 1000;
  const row = (name: string, value: string) => `| ${name.padEnd(52)} | ${value.padEnd(40)} |`;
  const apiTotal = (k: KonnectorRequests) =>
    k.provider.reads + k.provider.writes + k.consumer.reads + k.consumer.writes;
  const selfTotal = (k: KonnectorRequests) => k.selfReported.reads + k.selfReported.writes;
  const table = [
    '',
    `konnector benchmark: ${objects} cowboys, ${concurrency} in flight, ` +
      `consumer ${consumerNamespace} → provider ${env.providerNamespace}`,
    row('measure', 'figure'),
    row('-'.repeat(52), '-'.repeat(40)),
    row('spec sync consumer → provider p50 / p99 / max', latencyRow(r.spec)),
    row(
      `all ${objects} on the provider after`,
      `${(r.spec.allArrivedMs / 1000).toFixed(2)} s (${ratePerS(r.spec.allArrivedMs).toFixed(0)}/s)`,
    ),
    row('  driver creates took', `${(r.spec.callsMs / 1000).toFixed(2)} s`),
    row('status sync provider → consumer p50 / p99 / max', latencyRow(r.status)),
    row(
      `all ${objects} statuses on the consumer after`,
      `${(r.status.allArrivedMs / 1000).toFixed(2)} s (${ratePerS(r.status.allArrivedMs).toFixed(0)}/s)`,
    ),
    row('  driver status patches took', `${(r.status.callsMs / 1000).toFixed(2)} s`),
    row(
      'konnector VmRSS idle → after spec → after status',
      `${r.idle.rss.toFixed(0)} → ${r.afterSpec.rss.toFixed(0)} → ${r.after.rss.toFixed(0)} MiB`,
    ),
    row('konnector RSS growth per 1,000 objects', `${perThousand.toFixed(1)} MiB`),
    row(
      'konnector peak RSS (VmHWM) idle → after',
      `${r.idle.hwm.toFixed(0)} → ${r.after.hwm.toFixed(0)} MiB`,
    ),
    row('requests/object, spec sync: consumer reads / writes', requestsRow(r.specRequests.consumer)),
    row('requests/object, spec sync: provider reads / writes', requestsRow(r.specRequests.provider)),
    row(
      'requests/object, status sync: consumer reads / writes',
      requestsRow(r.statusRequests.consumer),
    ),
    row(
      'requests/object, status sync: provider reads / writes',
      requestsRow(r.statusRequests.provider),
    ),
    row(
      'cross-check: apiservers vs konnector own count',
      `${apiTotal(r.specRequests) + apiTotal(r.statusRequests)} vs ` +
        `${selfTotal(r.specRequests) + selfTotal(r.statusRequests)} requests`,
    ),
    '',
  ];
  const p = (res: PhaseResult, q: number) => percentile(res.latencies, q).toFixed(1);
  const lines = [
    `spec_sync_p50_ms ${p(r.spec, 0.5)}`,
    `spec_sync_p99_ms ${p(r.spec, 0.99)}`,
    `spec_sync_all_s ${(r.spec.allArrivedMs / 1000).toFixed(2)}`,
    `spec_sync_objects_per_s ${ratePerS(r.spec.allArrivedMs).toFixed(0)}`,
    `status_sync_p50_ms ${p(r.status, 0.5)}`,
    `status_sync_p99_ms ${p(r.status, 0.99)}`,
    `status_sync_all_s ${(r.status.allArrivedMs / 1000).toFixed(2)}`,
    `status_sync_objects_per_s ${ratePerS(r.status.allArrivedMs).toFixed(0)}`,
    `konnector_rss_idle_mib ${r.idle.rss.toFixed(1)}`,
    `konnector_rss_after_mib ${r.after.rss.toFixed(1)}`,
    `konnector_hwm_after_mib ${r.after.hwm.toFixed(1)}`,
    `konnector_rss_mib_per_1000_objects ${perThousand.toFixed(1)}`,
    ...(['spec', 'status'] as const).flatMap((phase) => {
      const k = phase === 'spec' ? r.specRequests : r.statusRequests;
      return (['consumer', 'provider'] as const).flatMap((side) => [
        `${phase}_sync_${side}_reads_per_object ${perObject(k[side].reads)}`,
        `${phase}_sync_${side}_writes_per_object ${perObject(k[side].writes)}`,
      ]);
    }),
    '',
  ];
  return [...table, ...lines].join('\n');
}

/** The konnector runs with LOG_LEVEL=warn: every line in its log is worth showing. */
function konnectorLogSummary(konnector: Server): string {
  let text = '';
  try {
    text = readFileSync(konnector.proc.logFile, 'utf8').trim();
  } catch {
    return 'konnector log: unreadable\n';
  }
  const lines = text === '' ? [] : text.split('\n');
  const shown = lines.slice(0, 10).map((l) => `  ${l}`);
  return [`konnector log: ${lines.length} warning/error lines`, ...shown, ''].join('\n');
}

// ---- main -----------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-konnector-'));
// Interrupted: kill every server now (they also die with us, via pdeathsig) and drop the files.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
let konnector: Server | undefined;
try {
  const provider = await startSide('provider', dir);
  cleanups.push(() => stopSide(provider));
  const consumer = await startSide('consumer', dir);
  cleanups.push(() => stopSide(consumer));
  await installCRDs(provider.admin, [...kubeBindCRDs(), ...wildwestCRDs()], {
    fieldManager: 'bench',
  });

  process.stderr.write('starting bin/backend --frontend-disabled; provisioning the consumer…\n');
  const backend = await startBackend(provider, dir);
  cleanups.push(() => backend.proc.stop());
  const contract = await provisionConsumer(provider);
  await exportCowboys(contract.kubeconfig, contract.namespace);

  // The konnector first: it applies the APIServiceBinding CRD on the consumer before /readyz.
  process.stderr.write('starting bin/konnector; binding…\n');
  const started = await startKonnector(consumer, dir);
  konnector = started;
  cleanups.push(() => started.proc.stop());
  await bindOnConsumer(consumer, contract.kubeconfig);
  await waitUntilBound(consumer);
  const providerNamespace = await warmUp(provider, consumer, contract.namespace);

  const env = { provider, consumer, backend, konnector: started, providerNamespace };
  const results = await measure(env);
  process.stdout.write(report(env, results));
  process.stdout.write(konnectorLogSummary(started));
} catch (err) {
  if (konnector) process.stderr.write(`last konnector log lines:\n${konnector.proc.tail()}\n`);
  process.exitCode = 1;
  throw err;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
