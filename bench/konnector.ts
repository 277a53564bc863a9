// Konnector benchmark (issue 7 item 4): bin/konnector syncing 1,000 cowboys between two private
// clusters (etcd + kube-apiserver + kube-controller-manager each), with bin/backend
// (--frontend-disabled) on the provider:
//   - spec sync latency consumer → provider, p50/p99: from the consumer create call returning
//     until a watch on the provider delivers the copy; and the time until all are there;
//   - status sync latency provider → consumer, p50/p99: from the provider status patch returning
//     until a watch on the consumer delivers that status;
//   - the konnector's memory (VmRSS, VmHWM, V8 heap) and CPU, idle after engaging and after the
//     objects synced;
//   - API requests the konnector issued per object on each cluster, reads and writes, from each
//     kube-apiserver's apiserver_request_total, less the driver's own requests (counted by its
//     client) and, on the provider, less the backend's (its own rest_client_requests_total); the
//     konnector's own count is printed beside it as a cross-check. An apiserver counts a WATCH
//     when it ends, so the odd watch that times out during a phase shows as a few hundredths.
// Claimed objects (issue 17), in the same binding, whose export claims Secrets labelled
// `bench.kube-bind.io/claimed=true` or named by a cowboy's `spec.secretRefs.#.name`:
//   - claimed Secrets consumer → provider, p50/p99: 1,000 labelled Secrets created on the
//     consumer until a watch on the provider delivers the copy; requests per object;
//   - a reference change with n referencing objects: each of the 1,000 cowboys patched to name a
//     Secret that exists (unclaimed) on the consumer, until the copy is on the provider: what a
//     change costs while every cowboy is a referencing object (latency, CPU, requests);
//   - provider-owned Secrets provider → consumer, p50/p99: 1,000 Secrets labelled
//     `kube-bind.io/owner=provider` created in the provider namespace until a watch on the
//     consumer delivers the copy; requests per object. A konnector that does not copy them (one
//     warm-up Secret not there within 30 s) skips this part with a printed line;
//   - what deciding one reference change costs as the referencing objects grow: 100 changes one
//     at a time, each a cowboy naming a Secret already claimed and copied (nothing to write), with
//     1,001 cowboys, then again after 4,000 more (KBT_BENCH_REFERENCE_SAMPLE,
//     KBT_BENCH_EXTRA_COWBOYS): the claim syncer's reconcile time per change (its
//     controller_runtime_reconcile_time_seconds), the ratio, and the time each referencing object
//     adds, above zero while a change rescans every cowboy.
// The consumer is provisioned like `kubectl bind` without a browser: a BindableResourcesRequest
// yields the kubeconfig of a contract namespace, an APIServiceExportRequest made with that
// kubeconfig exports cowboys, and the consumer gets the Secret and the APIServiceBinding. One
// warm-up cowboy is synced before measuring (the provider namespace and its informer are set-up).
// Run with `npm run bench:konnector` (KBT_BENCH_OBJECTS, KBT_BENCH_CONCURRENCY).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cowboys, wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { connectionFromKubeconfig } from '../src/kube/config.ts';
import { KubeClient, PatchType, type RequestRecord } from '../src/kube/client.ts';
import { installCRDs, isEstablished } from '../src/kube/crds.ts';
import { ignoreNotFound } from '../src/kube/errors.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { CustomResourceDefinitions, Namespaces, Secrets } from '../src/kube/resources.ts';
import type { KubeObject } from '../src/kube/resource.ts';
import { startKubeCluster, type KubeCluster } from '../test/harness/kube-cluster.ts';
import { freePort } from '../test/harness/ports.ts';
import { killAllNow, ManagedProcess } from '../test/harness/process.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { logSummary } from './lib/log-summary.ts';
import { percentile } from './lib/percentile.ts';
import { cpuSeconds, memoryMiB } from './lib/proc.ts';
import {
  isRead,
  minus,
  readsAndWrites,
  RequestCounter,
  samples,
  total,
  type Counts,
} from './lib/requests.ts';
import { tableRow, tableRule, type Column } from './lib/table.ts';
import { until, untilQuiet } from './lib/wait.ts';

const objects = Number(process.env['KBT_BENCH_OBJECTS'] ?? 1000);
const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 16);
const repo = join(import.meta.dirname, '..');
const consumerNamespace = 'wild-west';
/** The export request, export and binding share this name (as `kubectl bind` does it). */
const exportName = 'cowboys';
/** Generous: a stuck object should fail the run with a list of what is missing, not hang it. */
const syncTimeoutMs = 120_000 + objects * 100;

const nameOf = (i: number): string => `cowboy-${String(i).padStart(5, '0')}`;
const names = Array.from({ length: objects }, (_, i) => nameOf(i));
/** The status the driver sets on the provider copy of `name`, and expects back on the consumer. */
const resultFor = (name: string): string => `rode ${name}`;

/** The label the export's claim selects Secrets by. */
const claimLabel = 'bench.kube-bind.io/claimed';
/** The ownership label (upstream's): `provider` marks the provider's claimed objects. */
const ownerLabel = 'kube-bind.io/owner';
const claimedName = (i: number): string => `claimed-${String(i).padStart(5, '0')}`;
const referencedName = (i: number): string => `referenced-${String(i).padStart(5, '0')}`;
const providedName = (i: number): string => `provided-${String(i).padStart(5, '0')}`;
/** Reference changes per scaling sample, made one at a time. */
const sampleSize = Number(process.env['KBT_BENCH_REFERENCE_SAMPLE'] ?? 100);
/** Cowboys added between the two samples: the second has this many more referencing objects. */
const extraReferencing = Number(process.env['KBT_BENCH_EXTRA_COWBOYS'] ?? 4000);
/** How long the provider → consumer warm-up Secret may take before that part is skipped. */
const providerOwnedProbeMs = 30_000;

// ---- API request counting -------------------------------------------------------------------

/**
 * The resources the konnector works with. Leases (its leader election, the apiservers' identity
 * leases) and namespaces (the apiservers' own system-namespace checks) are left out: that traffic
 * is periodic, not per object, and would otherwise be mixed with the apiservers' own.
 */
const counter = new RequestCounter([
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

/** What one kube-apiserver served, by anyone. */
async function apiserverCounts(admin: KubeClient): Promise<Counts> {
  return counter.fromMetrics(
    await admin.request<string>('GET', '/metrics'),
    'apiserver_request_total',
  );
}

/** What a bin/backend or bin/konnector process says it sent (rest_client_requests_total). */
async function processCounts(metricsUrl: string): Promise<Counts> {
  return counter.fromMetrics(await (await fetch(metricsUrl)).text(), 'rest_client_requests_total');
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

const condition = (
  obj: { status?: { conditions?: { type: string; status: string }[] } },
  type: string,
): string | undefined => obj.status?.conditions?.find((c) => c.type === type)?.status;

// ---- provisioning ---------------------------------------------------------------------------

/**
 * A contract namespace and the kubeconfig for it from a BindableResourcesRequest: how a backend
 * without front door provisions a consumer (the response Secret holds a BindingResourceResponse).
 */
async function provisionConsumer(
  provider: Side,
): Promise<{ namespace: string; kubeconfig: string }> {
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

/** The export's claim: Secrets labelled `claimLabel=true` or named by a cowboy's secretRefs. */
const permissionClaims: readonly kb.PermissionClaim[] = [
  {
    group: '',
    resource: 'secrets',
    selector: {
      labelSelector: { matchLabels: { [claimLabel]: 'true' } },
      references: [
        {
          group: 'wildwest.dev',
          resource: 'cowboys',
          versions: ['v1alpha1'],
          jsonPath: { name: 'spec.secretRefs.#.name' },
        },
      ],
    },
  },
];

/** The provider's offer of cowboys with that claim (a request may claim only what one offers). */
async function offerCowboys(provider: Side): Promise<void> {
  await new ResourceClient(provider.admin, kb.APIServiceExportTemplates).create({
    metadata: { name: exportName },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [...permissionClaims],
    },
  });
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
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [...permissionClaims],
      },
    });
    await until('the APIServiceExportRequest to succeed', async () => {
      const r = await requests.get(exportName);
      if (r.status?.phase === 'Failed')
        throw new Error(`export failed: ${r.status.terminalMessage}`);
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
  const sent = async () => total(await processCounts(konnector.metricsUrl));
  if (!(await untilQuiet(sent, { idleMs: quietMs, maxMs: syncTimeoutMs }))) {
    throw new Error(`timed out after ${syncTimeoutMs / 1000}s: the konnector to go quiet`);
  }
}

// ---- measuring ------------------------------------------------------------------------------

/**
 * Watches `resource` from `resourceVersion` and stamps, per name, when an event first shows
 * `arrived(object)`: arrival times come from the watch, not from polling.
 */
function watchArrivals<T extends KubeObject>(
  resource: ResourceClient<T>,
  resourceVersion: string,
  arrived: (c: T) => boolean,
  expected: readonly string[] = names,
) {
  const at = new Map<string, number>();
  const abort = new AbortController();
  let failure: Error | undefined;
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
    if (!abort.signal.aborted) failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    at,
    /** Resolves once every name has arrived; fails with the missing ones after `timeoutMs`. */
    async all(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (expected.some((n) => !at.has(n))) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          const missing = expected.filter((n) => !at.has(n));
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
async function measurePhase<T extends KubeObject>(
  watched: ResourceClient<T>,
  arrived: (c: T) => boolean,
  call: (name: string, i: number) => Promise<unknown>,
  /** The name that arrives for object i, when the watched object is not named after the call's. */
  arrivingAs: (i: number) => string = nameOf,
  count = objects,
  limit = concurrency,
): Promise<PhaseResult> {
  const expected = Array.from({ length: count }, (_, i) => arrivingAs(i));
  const list = await watched.list({ limit: 1 });
  const arrivals = watchArrivals(watched, list.metadata?.resourceVersion ?? '', arrived, expected);
  const returned = new Map<string, number>();
  const started = performance.now();
  try {
    await forEachBounded(count, limit, async (i) => {
      await call(nameOf(i), i);
      returned.set(arrivingAs(i), performance.now());
    });
    const callsMs = performance.now() - started;
    await arrivals.all(syncTimeoutMs);
    const latencies = expected
      .map((n) => (arrivals.at.get(n) ?? NaN) - (returned.get(n) ?? NaN))
      .sort((a, b) => a - b);
    const last = [...arrivals.at.values()].reduce((a, b) => Math.max(a, b), -Infinity);
    return { latencies, allArrivedMs: last - started, callsMs };
  } finally {
    // Closed before the next scrape, so the apiserver has counted this watch by then.
    await arrivals.stop();
  }
}

/** Counters on both clusters and both processes, and the konnector's usage, at one moment. */
interface Snapshot {
  at: number;
  provider: Counts;
  consumer: Counts;
  backend: Counts;
  konnector: Counts;
  /** The konnector's reconciles by `controller result` (its controller_runtime metrics). */
  reconciles: Map<string, number>;
  /** The konnector's writes: how many and their summed latency (s), both clusters together. */
  writes: { count: number; seconds: number };
  /** The claim syncer's reconciles: how many and their summed time (s). */
  claimReconciles: { count: number; seconds: number };
  providerDriver: number;
  consumerDriver: number;
  usage: Usage;
}

/** The konnector's memory (MiB) and CPU time (s). */
interface Usage {
  rss: number;
  hwm: number;
  /** The V8 heap in use (nodejs_heap_size_used_bytes), to tell live data from RSS slack. */
  heap: number;
  /** CPU seconds used so far. */
  cpu: number;
}

async function snapshot(env: Env): Promise<Snapshot> {
  const text = await (await fetch(env.konnector.metricsUrl)).text();
  const reconciles = new Map<string, number>();
  for (const { labels, value } of samples(text, 'controller_runtime_reconcile_total')) {
    const key = `${labels['controller']} ${labels['result']}`;
    reconciles.set(key, (reconciles.get(key) ?? 0) + value);
  }
  const heap = [...samples(text, 'nodejs_heap_size_used_bytes')][0]?.value ?? NaN;
  const claimReconciles = { count: 0, seconds: 0 };
  for (const { labels, value } of samples(
    text,
    'controller_runtime_reconcile_time_seconds_count',
  )) {
    if (labels['controller'] === claimController) claimReconciles.count += value;
  }
  for (const { labels, value } of samples(text, 'controller_runtime_reconcile_time_seconds_sum')) {
    if (labels['controller'] === claimController) claimReconciles.seconds += value;
  }
  const writes = { count: 0, seconds: 0 };
  const isWrite = (verb = '') => !isRead(verb);
  for (const { labels, value } of samples(text, 'rest_client_request_duration_seconds_count')) {
    if (isWrite(labels['verb'])) writes.count += value;
  }
  for (const { labels, value } of samples(text, 'rest_client_request_duration_seconds_sum')) {
    if (isWrite(labels['verb'])) writes.seconds += value;
  }
  return {
    at: Date.now(),
    provider: await apiserverCounts(env.provider.admin),
    consumer: await apiserverCounts(env.consumer.admin),
    backend: await processCounts(env.backend.metricsUrl),
    konnector: counter.fromMetrics(text, 'rest_client_requests_total'),
    reconciles,
    writes,
    claimReconciles,
    // Taken after the scrapes, so the scrapes' own /metrics requests (resource "") fall before.
    providerDriver: env.provider.records.length,
    consumerDriver: env.consumer.records.length,
    usage: {
      ...memoryMiB(env.konnector.proc.pid ?? 0),
      heap: heap / 2 ** 20,
      cpu: cpuSeconds(env.konnector.proc.pid ?? 0),
    },
  };
}

interface KonnectorRequests {
  provider: Counts;
  consumer: Counts;
  /** The konnector's own count, both clusters together, as a cross-check. */
  selfReported: Counts;
  reconciles: Map<string, number>;
}

/** The konnector's requests between two snapshots: the apiservers' counts less everyone else's. */
function konnectorRequests(env: Env, from: Snapshot, to: Snapshot): KonnectorRequests {
  const driver = (side: Side, a: number, b: number) =>
    counter.fromRecords(side.records.slice(a, b));
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
    reconciles: minus(to.reconciles, from.reconciles),
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
  /** Idle after engaging, after the spec sync, after the status sync. */
  snapshots: [Snapshot, Snapshot, Snapshot];
  claims: ClaimResults;
}

/** One claimed-object phase: latencies, the konnector's requests and its CPU seconds. */
interface ClaimPhase {
  result: PhaseResult;
  requests: KonnectorRequests;
  cpu: number;
}

interface ClaimResults {
  /** Labelled Secrets created on the consumer, copied to the provider. */
  toProvider: ClaimPhase;
  /** Cowboys patched to reference existing Secrets, copied to the provider. */
  references: ClaimPhase;
  /** Provider-owned Secrets, copied to the consumer; a reason when skipped. */
  toConsumer: ClaimPhase | string;
  /** Reference changes one at a time, with fewer and with more referencing objects. */
  scaling: [ReferenceSample, ReferenceSample];
  /** Snapshots after each claim phase (for the log summary). */
  snapshots: Snapshot[];
}

/** `sampleSize` reference changes, one at a time, while `referencing` cowboys exist. */
interface ReferenceSample {
  referencing: number;
  changes: number;
  /** The claim syncer's reconciles over the sample: how many, and their summed time (s). */
  claimReconciles: number;
  claimSeconds: number;
  /** The konnector's CPU seconds over the sample. */
  cpu: number;
  requests: KonnectorRequests;
}

/** The claim syncer's controller (resource-syncer.ts names it so). */
const claimController = 'konnector-claims';

/**
 * What deciding one reference change costs as the referencing objects grow: k cowboys (from
 * `offset`, a range of their own per sample) each get a second reference, to a Secret that is
 * already claimed and copied, one change at a time (so no recompute is shared). The claim syncer
 * reconciles that Secret and has nothing to write: its reconcile time is the decision alone,
 * which with a rescan of every referencing object grows with their number.
 */
async function referenceSample(env: Env, referencing: number, offset: number) {
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  await konnectorQuiet(env.konnector);
  const from = await snapshot(env);
  for (let i = 0; i < sampleSize; i++) {
    const j = (offset + i) % objects;
    await consumerCowboys.patch(nameOf(j), PatchType.merge, {
      spec: { secretRefs: [{ name: referencedName(j) }, { name: claimedName(j) }] },
    });
    // Time for the event and its reconcile: one change at a time, not a burst.
    await sleep(50);
  }
  await konnectorQuiet(env.konnector);
  const to = await snapshot(env);
  const sample: ReferenceSample = {
    referencing,
    changes: sampleSize,
    claimReconciles: to.claimReconciles.count - from.claimReconciles.count,
    claimSeconds: to.claimReconciles.seconds - from.claimReconciles.seconds,
    cpu: to.usage.cpu - from.usage.cpu,
    requests: konnectorRequests(env, from, to),
  };
  return { sample, from, to };
}

/** Creates `count` more cowboys (set-up), and waits until the konnector is idle again. */
async function moreCowboys(env: Env, count: number): Promise<void> {
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  await forEachBounded(count, concurrency, async (i) => {
    await consumerCowboys.create({
      metadata: { name: `extra-${String(i).padStart(6, '0')}` },
      spec: { intent: 'ride' },
    });
  });
  await konnectorQuiet(env.konnector);
}

/** Measures one claimed-object phase from an idle konnector (`from`) to idle again. */
async function claimPhase(
  env: Env,
  from: Snapshot,
  run: () => Promise<PhaseResult>,
): Promise<{ phase: ClaimPhase; to: Snapshot }> {
  const result = await run();
  await konnectorQuiet(env.konnector);
  const to = await snapshot(env);
  return {
    phase: {
      result,
      requests: konnectorRequests(env, from, to),
      cpu: to.usage.cpu - from.usage.cpu,
    },
    to,
  };
}

/** Creates `count` Secrets on one side (set-up, not measured). */
async function createSecrets(
  secrets: ResourceClient<KubeObject & { stringData?: Record<string, string> }>,
  name: (i: number) => string,
  labels: Record<string, string>,
  count = objects,
): Promise<void> {
  await forEachBounded(count, concurrency, async (i) => {
    await secrets.create({ metadata: { name: name(i), labels }, stringData: { n: String(i) } });
  });
}

async function measureClaims(env: Env, from: Snapshot): Promise<ClaimResults> {
  const consumerSecrets = new ResourceClient(env.consumer.admin, Secrets, consumerNamespace);
  const providerSecrets = new ResourceClient(env.provider.admin, Secrets, env.providerNamespace);
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  const claimed = { [claimLabel]: 'true' };

  process.stderr.write(`creating ${objects} claimed Secrets on the consumer…\n`);
  const toProvider = await claimPhase(env, from, () =>
    measurePhase(
      providerSecrets,
      () => true,
      (_, i) =>
        consumerSecrets.create({
          metadata: { name: claimedName(i), labels: claimed },
          stringData: { n: String(i) },
        }),
      claimedName,
    ),
  );

  process.stderr.write(`creating ${objects} unclaimed Secrets, then one cowboy reference each…\n`);
  await createSecrets(consumerSecrets, referencedName, {});
  await konnectorQuiet(env.konnector);
  const beforeReferences = await snapshot(env);
  const references = await claimPhase(env, beforeReferences, () =>
    measurePhase(
      providerSecrets,
      () => true,
      (name, i) =>
        consumerCowboys.patch(name, PatchType.merge, {
          spec: { secretRefs: [{ name: referencedName(i) }] },
        }),
      referencedName,
    ),
  );

  const toConsumer = await measureToConsumer(env, consumerSecrets, providerSecrets);

  const fewer = objects + 1;
  process.stderr.write(`${sampleSize} reference changes one at a time, ${fewer} cowboys…\n`);
  const a = await referenceSample(env, fewer, 0);
  process.stderr.write(`creating ${extraReferencing} more cowboys…\n`);
  await moreCowboys(env, extraReferencing);
  const more = fewer + extraReferencing;
  process.stderr.write(`${sampleSize} reference changes one at a time, ${more} cowboys…\n`);
  const b = await referenceSample(env, more, sampleSize);
  return {
    toProvider: toProvider.phase,
    references: references.phase,
    toConsumer: typeof toConsumer === 'string' ? toConsumer : toConsumer.phase,
    scaling: [a.sample, b.sample],
    // In time order, for the log summary's phases.
    snapshots: [
      toProvider.to,
      beforeReferences,
      references.to,
      // Skipped, the provider → consumer phase is empty.
      typeof toConsumer === 'string' ? references.to : toConsumer.to,
      a.from,
      a.to,
      b.from,
      b.to,
    ],
  };
}

/**
 * Provider-owned Secrets copied to the consumer, or why not: a konnector that does not copy them
 * (one warm-up Secret absent after 30 s) is told apart from a slow one, and the part is skipped.
 */
async function measureToConsumer(
  env: Env,
  consumerSecrets: ResourceClient,
  providerSecrets: ResourceClient<KubeObject & { stringData?: Record<string, string> }>,
): Promise<{ phase: ClaimPhase; to: Snapshot } | string> {
  const provided = { [claimLabel]: 'true', [ownerLabel]: 'provider' };
  await providerSecrets.create({
    metadata: { name: 'provided-warm-up', labels: provided },
    stringData: { n: 'warm-up' },
  });
  const copied = await until(
    'the provider-owned warm-up Secret on the consumer',
    async () => (await ignoreNotFound(consumerSecrets.get('provided-warm-up'))) ?? undefined,
    { timeoutMs: providerOwnedProbeMs },
  ).catch(() => undefined);
  if (!copied) {
    await ignoreNotFound(providerSecrets.delete('provided-warm-up'));
    return (
      'skipped: this konnector does not copy provider-owned claimed objects to the consumer ' +
      `(a Secret labelled ${ownerLabel}=provider was not there after ${providerOwnedProbeMs / 1000} s)`
    );
  }
  await konnectorQuiet(env.konnector);
  const start = await snapshot(env);
  process.stderr.write(`creating ${objects} provider-owned Secrets on the provider…\n`);
  return claimPhase(env, start, () =>
    measurePhase(
      consumerSecrets,
      () => true,
      (_, i) =>
        providerSecrets.create({
          metadata: { name: providedName(i), labels: provided },
          stringData: { n: String(i) },
        }),
      providedName,
    ),
  );
}

async function measure(env: Env): Promise<Results> {
  await konnectorQuiet(env.konnector);
  await sleep(2_000);
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
  const s2 = await snapshot(env);
  const claims = await measureClaims(env, s2);
  return {
    spec,
    status,
    specRequests: konnectorRequests(env, s0, s1),
    statusRequests: konnectorRequests(env, s1, s2),
    snapshots: [s0, s1, s2],
    claims,
  };
}

// ---- the report -----------------------------------------------------------------------------

const columns: readonly Column[] = [{ width: 48 }, { width: 52 }];

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const perObject = (n: number): string => (n / objects).toFixed(2);
const ratePerS = (elapsedMs: number): number => objects / (elapsedMs / 1000);
const mib = (v: number): string => v.toFixed(0);

function latencyRow(r: PhaseResult): string {
  const [p50, p99] = [percentile(r.latencies, 0.5), percentile(r.latencies, 0.99)];
  const max = r.latencies[r.latencies.length - 1] ?? NaN;
  return `${ms(p50)} / ${ms(p99)} / ${ms(max)} (p99/p50 ${(p99 / p50).toFixed(1)}×)`;
}

function throughputRow(r: PhaseResult): string {
  const s = (v: number) => (v / 1000).toFixed(2);
  return `${s(r.allArrivedMs)} s, ${ratePerS(r.allArrivedMs).toFixed(0)}/s (driver calls ${s(r.callsMs)} s)`;
}

function requestsRow(c: Counts): string {
  const { reads, writes } = readsAndWrites(c);
  return `${perObject(reads)} / ${perObject(writes)}`;
}

/** The non-zero entries per object, most first: which requests make up a figure. */
function breakdown(c: Counts): string {
  const entries = [...c]
    .filter(([, n]) => Math.abs(n / objects) >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return entries.length === 0
    ? 'none'
    : entries.map(([key, n]) => `${key} ${perObject(n)}`).join(', ');
}

/**
 * CPU time per object in each phase, and as a share of the phase's sync time (first call to last
 * arrival, when nearly all of it is spent): near 100% means the konnector's one thread is the limit.
 */
function cpuRow(r: Results): string {
  const [s0, s1, s2] = r.snapshots;
  const phase = (a: Snapshot, b: Snapshot, res: PhaseResult) => {
    const cpu = b.usage.cpu - a.usage.cpu;
    const share = (cpu / (res.allArrivedMs / 1000)) * 100;
    return `${((cpu / objects) * 1000).toFixed(2)} ms (${share.toFixed(0)}%)`;
  };
  return `${phase(s0, s1, r.spec)} / ${phase(s1, s2, r.status)}`;
}

/**
 * The mean latency of the konnector's writes in each phase (its rest_client_request_duration):
 * with a fixed number of sync workers each waiting for its write, this bounds the throughput.
 */
function writeLatencyRow(r: Results): string {
  const [s0, s1, s2] = r.snapshots;
  const mean = (a: Snapshot, b: Snapshot) =>
    ms(((b.writes.seconds - a.writes.seconds) / (b.writes.count - a.writes.count)) * 1000);
  return `${mean(s0, s1)} / ${mean(s1, s2)}`;
}

/** Per object, by controller: how often the konnector's controllers ran. */
function reconcileBreakdown(reconciles: Map<string, number>): string {
  const byController = new Map<string, number>();
  for (const [key, n] of reconciles) {
    const [controller = '', result = ''] = key.split(' ');
    const label = result === 'success' ? controller : `${controller} (${result})`;
    byController.set(label, (byController.get(label) ?? 0) + n);
  }
  const entries = [...byController]
    .filter(([, n]) => n / objects >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return entries.map(([label, n]) => `${label} ${perObject(n)}`).join(', ') || 'none';
}

function report(env: Env, r: Results): string {
  const [idle, afterSpec, after] = r.snapshots.map((s) => s.usage) as [Usage, Usage, Usage];
  const perThousand = ((after.rss - idle.rss) / objects) * 1000;
  const row = (name: string, value: string) => tableRow([name, value], columns);
  const byApiservers = [r.specRequests, r.statusRequests].reduce(
    (sum, k) => sum + total(k.provider) + total(k.consumer),
    0,
  );
  const bySelf = total(r.specRequests.selfReported) + total(r.statusRequests.selfReported);
  const memoryRow = (m: (x: Usage) => number) =>
    `${mib(m(idle))} → ${mib(m(afterSpec))} → ${mib(m(after))} MiB`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const table = [
    '',
    `konnector benchmark: ${objects} cowboys, ${concurrency} in flight, consumer ` +
      `${consumerNamespace} → provider ${env.providerNamespace} (${availableParallelism()} CPUs, load ${load})`,
    row('measure', 'figure'),
    tableRule(columns),
    row('spec sync consumer → provider p50 / p99 / max', latencyRow(r.spec)),
    row(`all ${objects} on the provider after`, throughputRow(r.spec)),
    row('status sync provider → consumer p50 / p99 / max', latencyRow(r.status)),
    row(`all ${objects} statuses on the consumer after`, throughputRow(r.status)),
    row(
      'konnector VmRSS idle → after spec → after status',
      memoryRow((m) => m.rss),
    ),
    row('konnector RSS growth per 1,000 objects', `${perThousand.toFixed(1)} MiB`),
    row(
      'konnector VmHWM idle → after spec → after status',
      memoryRow((m) => m.hwm),
    ),
    row(
      'konnector V8 heap used idle → spec → status',
      memoryRow((m) => m.heap),
    ),
    row('konnector CPU per object: spec / status sync', cpuRow(r)),
    row('konnector mean API write latency: spec / status', writeLatencyRow(r)),
    row('requests/object spec sync, consumer: R / W', requestsRow(r.specRequests.consumer)),
    row('requests/object spec sync, provider: R / W', requestsRow(r.specRequests.provider)),
    row('requests/object status sync, consumer: R / W', requestsRow(r.statusRequests.consumer)),
    row('requests/object status sync, provider: R / W', requestsRow(r.statusRequests.provider)),
    row("requests: apiservers vs the konnector's count", `${byApiservers} vs ${bySelf}`),
    '',
    'requests per object by verb and resource (from the apiservers):',
    `  spec sync, consumer:   ${breakdown(r.specRequests.consumer)}`,
    `  spec sync, provider:   ${breakdown(r.specRequests.provider)}`,
    `  status sync, consumer: ${breakdown(r.statusRequests.consumer)}`,
    `  status sync, provider: ${breakdown(r.statusRequests.provider)}`,
    'konnector reconciles per object:',
    `  spec sync:   ${reconcileBreakdown(r.specRequests.reconciles)}`,
    `  status sync: ${reconcileBreakdown(r.statusRequests.reconciles)}`,
    '',
  ];
  return [
    ...table,
    ...claimsReport(r.claims),
    ...figureLines(r, idle, after, perThousand),
    ...claimFigureLines(r.claims),
    '',
  ].join('\n');
}

/** Everything a konnector request count says per object: reads / writes on each side. */
function claimRequestsRow(k: KonnectorRequests): string {
  return `consumer ${requestsRow(k.consumer)}, provider ${requestsRow(k.provider)}`;
}

const totalPerObject = (k: KonnectorRequests): number =>
  (total(k.consumer) + total(k.provider)) / objects;

function claimsReport(c: ClaimResults): string[] {
  const row = (name: string, value: string) => tableRow([name, value], columns);
  const cpu = (p: ClaimPhase) => `${((p.cpu / objects) * 1000).toFixed(2)} ms`;
  const phaseRows = (label: string, p: ClaimPhase) => [
    row(label, ''),
    row('  p50 / p99 / max', latencyRow(p.result)),
    row(`  all ${objects} there after`, throughputRow(p.result)),
    row('  requests/object R / W', claimRequestsRow(p.requests)),
    row('  requests/object, both clusters', totalPerObject(p.requests).toFixed(2)),
    row('  konnector CPU per object', cpu(p)),
  ];
  const toConsumer = c.toConsumer;
  const lines = [
    '',
    `claimed objects: ${objects} Secrets each way; ${objects + 1} cowboys (the referencing objects)`,
    row('measure', 'figure'),
    tableRule(columns),
    ...phaseRows('claimed Secret consumer → provider', c.toProvider),
    ...phaseRows(`reference change, ${objects + 1} referencing`, c.references),
    ...(typeof toConsumer === 'string'
      ? [row('provider-owned Secret provider → consumer', 'skipped (see below)')]
      : phaseRows('provider-owned Secret provider → consumer', toConsumer)),
    '',
    'claimed-object requests per object by verb and resource (from the apiservers):',
    `  consumer → provider, consumer: ${breakdown(c.toProvider.requests.consumer)}`,
    `  consumer → provider, provider: ${breakdown(c.toProvider.requests.provider)}`,
    `  reference change, consumer:    ${breakdown(c.references.requests.consumer)}`,
    `  reference change, provider:    ${breakdown(c.references.requests.provider)}`,
  ];
  if (typeof toConsumer === 'string') {
    lines.push(`  provider → consumer: ${toConsumer}`);
  } else {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const p50 = (p: ClaimPhase) => percentile(p.result.latencies, 0.5);
    const p99 = (p: ClaimPhase) => percentile(p.result.latencies, 0.99);
    lines.push(
      `  provider → consumer, consumer: ${breakdown(toConsumer.requests.consumer)}`,
      `  provider → consumer, provider: ${breakdown(toConsumer.requests.provider)}`,
      `provider → consumer vs consumer → provider: p50 ${ratio(p50(toConsumer), p50(c.toProvider))}, ` +
        `p99 ${ratio(p99(toConsumer), p99(c.toProvider))}, requests/object ` +
        ratio(totalPerObject(toConsumer.requests), totalPerObject(c.toProvider.requests)),
    );
  }
  const [a, b] = c.scaling;
  const perChange = (x: ReferenceSample) => (x.claimSeconds / x.changes) * 1000;
  const cpuPerChange = (x: ReferenceSample) => (x.cpu / x.changes) * 1000;
  const marginal = ((perChange(b) - perChange(a)) / (b.referencing - a.referencing)) * 1000;
  const sampleRow = (x: ReferenceSample) =>
    `  ${x.referencing} cowboys: claim reconcile time ${perChange(x).toFixed(2)} ms/change ` +
    `(${(x.claimReconciles / x.changes).toFixed(2)} reconciles), konnector CPU ` +
    `${cpuPerChange(x).toFixed(2)} ms/change, requests ` +
    `${((totalPerObject(x.requests) * objects) / x.changes).toFixed(2)}/change`;
  lines.push(
    `a reference change one at a time, to a claimed Secret already copied (${a.changes} each):`,
    sampleRow(a),
    sampleRow(b),
    `  ${b.referencing}/${a.referencing} cowboys: claim reconcile time per change ` +
      `${(perChange(b) / perChange(a)).toFixed(2)}×, CPU ${(cpuPerChange(b) / cpuPerChange(a)).toFixed(2)}×; ` +
      `${marginal.toFixed(2)} µs more per change per referencing object (≈0 when indexed)`,
    ...[a, b].flatMap((x) => {
      const perChangeOf = (k: Counts) =>
        new Map([...k].map(([key, n]) => [key, (n * objects) / x.changes]));
      return [
        `  ${x.referencing} cowboys, requests: consumer ${breakdown(perChangeOf(x.requests.consumer))}; provider ${breakdown(perChangeOf(x.requests.provider))}`,
        `  ${x.referencing} cowboys, reconciles: ${reconcileBreakdown(perChangeOf(x.requests.reconciles))}`,
      ];
    }),
  );
  lines.push(
    'konnector reconciles per object:',
    `  claims consumer → provider: ${reconcileBreakdown(c.toProvider.requests.reconciles)}`,
    `  reference change:           ${reconcileBreakdown(c.references.requests.reconciles)}`,
    ...(typeof toConsumer === 'string'
      ? []
      : [`  claims provider → consumer: ${reconcileBreakdown(toConsumer.requests.reconciles)}`]),
    '',
  );
  return lines;
}

function claimFigureLines(c: ClaimResults): string[] {
  const phases: [string, ClaimPhase | string][] = [
    ['claims_to_provider', c.toProvider],
    ['claims_reference_change', c.references],
    ['claims_to_consumer', c.toConsumer],
  ];
  const samples = c.scaling.flatMap((x) => [
    `claims_reference_change_${x.referencing}_reconcile_ms ${((x.claimSeconds / x.changes) * 1000).toFixed(3)}`,
    `claims_reference_change_${x.referencing}_cpu_ms ${((x.cpu / x.changes) * 1000).toFixed(2)}`,
  ]);
  return [
    ...samples,
    ...phases.flatMap(([name, p]) =>
      typeof p === 'string'
        ? [`${name}_skipped 1`]
        : [
            `${name}_p50_ms ${percentile(p.result.latencies, 0.5).toFixed(1)}`,
            `${name}_p99_ms ${percentile(p.result.latencies, 0.99).toFixed(1)}`,
            `${name}_all_s ${(p.result.allArrivedMs / 1000).toFixed(2)}`,
            `${name}_requests_per_object ${totalPerObject(p.requests).toFixed(2)}`,
            `${name}_cpu_ms_per_object ${((p.cpu / objects) * 1000).toFixed(2)}`,
          ],
    ),
  ];
}

/** One `name value` line per figure, for scripts. */
function figureLines(r: Results, idle: Usage, after: Usage, perThousand: number): string[] {
  const p = (res: PhaseResult, q: number) => percentile(res.latencies, q).toFixed(1);
  const phases = [
    ['spec', r.spec, r.specRequests],
    ['status', r.status, r.statusRequests],
  ] as const;
  return [
    ...phases.flatMap(([phase, res]) => [
      `${phase}_sync_p50_ms ${p(res, 0.5)}`,
      `${phase}_sync_p99_ms ${p(res, 0.99)}`,
      `${phase}_sync_all_s ${(res.allArrivedMs / 1000).toFixed(2)}`,
      `${phase}_sync_objects_per_s ${ratePerS(res.allArrivedMs).toFixed(0)}`,
    ]),
    `konnector_rss_idle_mib ${idle.rss.toFixed(1)}`,
    `konnector_rss_after_mib ${after.rss.toFixed(1)}`,
    `konnector_hwm_after_mib ${after.hwm.toFixed(1)}`,
    `konnector_rss_mib_per_1000_objects ${perThousand.toFixed(1)}`,
    ...phases.flatMap(([phase, , k]) =>
      (['consumer', 'provider'] as const).flatMap((side) => {
        const { reads, writes } = readsAndWrites(k[side]);
        return [
          `${phase}_sync_${side}_reads_per_object ${perObject(reads)}`,
          `${phase}_sync_${side}_writes_per_object ${perObject(writes)}`,
        ];
      }),
    ),
  ];
}

/**
 * The konnector runs with LOG_LEVEL=warn, so every line of its log is a problem: grouped by
 * phase, controller and error, with a count and the first message of each.
 */
function konnectorLogSummary(konnector: Server, snapshots?: readonly Snapshot[]): string {
  const phaseOf = (time: number | undefined): string => {
    if (!snapshots || time === undefined) return '';
    const i = snapshots.findIndex((s) => time < s.at);
    return (
      [
        'set-up',
        'spec sync',
        'status sync',
        'claims → provider',
        'claims set-up',
        'reference change',
        'claims → consumer',
        'sample set-up',
        'sample, fewer cowboys',
        'more cowboys',
        'sample, more cowboys',
      ][i] ?? 'after'
    );
  };
  return logSummary(
    'konnector log',
    readFileSync(konnector.proc.logFile, 'utf8'),
    (e) =>
      `${phaseOf(e.time)} level ${e.level} ${e.controller ?? '-'}: ${e.msg} (${e.err?.type ?? '-'})`,
  );
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
  await offerCowboys(provider);
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
  process.stdout.write(
    konnectorLogSummary(started, [...results.snapshots, ...results.claims.snapshots]),
  );
} catch (err) {
  if (konnector) {
    process.stderr.write(`last konnector log lines:\n${konnector.proc.tail(10)}\n`);
    process.stderr.write(konnectorLogSummary(konnector));
  }
  process.exitCode = 1;
  throw err;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
