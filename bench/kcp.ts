// kcp provider benchmark (issue 8, item 5): the backend's controllers over many logical clusters
// of one private kcp, in this process, as test/backend/kcp-engagement.test.ts does for one. For
// each point N of KBT_BENCH_CLUSTERS (default 200, run as 50 then 200; a list like `50,200,1000`
// runs those, `1000,` that one alone), smallest first:
//   - set-up, kcp's cost and not ours: N workspaces under root (made once, reused by later
//     points), each binding kube-bind.io with its claims accepted, KBT_BENCH_CONCURRENCY (10) in
//     flight, each waited for (workspace Ready, APIBinding Bound);
//   - engage: a Manager with the backend controllers (--frontend-disabled, as bin/backend runs
//     them without the front door) over the kcp provider, hooks as app.ts sets them up (Cluster
//     `default` first); from its start until all N are announced by the provider, are in
//     manager.engagedClusters (after Cluster `default` was created), and have their controllers'
//     caches synced; then until Cluster `default` and the cluster controller's ClusterRole and
//     ClusterRoleBinding were created in all N, i.e. the controllers ran in every workspace
//     (timed in-process from the creates' answers, checked by a wildcard LIST on the APIExport
//     virtual workspace);
//   - open watches (serving.openWatches()) against the number expected: one per wildcard
//     informer (a resource and its selectors), found by running the controllers' set-up on a
//     probe cluster, plus the provider's own two (endpoint slice, APIBindings). Constant in N;
//   - memory after global.gc(): V8 heap used and VmRSS of this process, above a baseline taken
//     before the manager starts, per engaged cluster; API requests per cluster while engaging;
//   - the HTTP front door's view: a second provider into a ServedClusters (its own informers and
//     watches): time until all N are served, and its extra memory per cluster;
//   - unbinding: the APIBinding deleted in half the workspaces, then in the rest (kcp first
//     deletes the bound objects, so most of the time is kcp's); time until both views disengaged
//     them, memory above baseline (should fall with the clusters), open watches (unchanged);
//   - stop: memory and open watches once everything has stopped, and once nothing of the point
//     is referenced any more (its controller specs included).
// Every point starts from workspaces with nothing of ours in them (the previous point unbound all).
// Before the first, both views run once with none of them bound (a warm-up, so that first-use
// costs are in the baseline). The export's own workspace binds kube-bind.io too, so N + 1
// clusters are engaged; per-cluster figures divide by that.
// The set-up stops with a message when the machine runs short of memory (kcp grows by some 15 MiB
// per workspace): less than KBT_BENCH_MIN_AVAILABLE_MIB (2048) available.
// Run with `npm run bench:kcp` (node --expose-gc; KBT_BENCH_CLUSTERS, KBT_BENCH_CONCURRENCY,
// KBT_BENCH_MIN_AVAILABLE_MIB).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { kubeBindAPIBinding, kubeBindExportName } from '../src/apis/kubebind/kcp.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { backendControllers } from '../src/backend/app/app.ts';
import { defaultClusterHook } from '../src/backend/app/default-cluster.ts';
import { kcpPlatform } from '../src/backend/app/platform.ts';
import { ServedClusters } from '../src/backend/binding/clusters.ts';
import { defaultClusterName } from '../src/backend/controllers/cluster/controller.ts';
import { oidcUserName } from '../src/backend/controllers/cluster/decide.ts';
import { loadBackendOptions, type BackendOptions } from '../src/backend/options/options.ts';
import { KubeClient, type RequestRecord } from '../src/kube/client.ts';
import { connectionFromKubeconfig, type ClusterConnection } from '../src/kube/config.ts';
import { AlreadyExistsError, ignoreAlreadyExists, ignoreNotFound } from '../src/kube/errors.ts';
import {
  ResourceClient,
  resourceType,
  type KubeObject,
  type ResourceType,
} from '../src/kube/resource.ts';
import { ClusterRoles } from '../src/kube/resources.ts';
import { APIBindings, bootstrapKcp } from '../src/providers/kcp/bootstrap.ts';
import { APIExportEndpointSlices, endpointURL } from '../src/providers/kcp/provider.ts';
import {
  SharedInformerFactory,
  type InformerFactory,
  type InformerScope,
} from '../src/runtime/cache/factory.ts';
import type { Informer } from '../src/runtime/cache/informer.ts';
import { clusterOf } from '../src/runtime/cache/keys.ts';
import { ScopedInformerFactory } from '../src/runtime/cache/scoped.ts';
import { realClock } from '../src/runtime/clock.ts';
import type { Cluster } from '../src/runtime/cluster.ts';
import type { ControllerSpec } from '../src/runtime/controller/controller.ts';
import { Manager } from '../src/runtime/manager/manager.ts';
import { withEngageHooks, type Provider } from '../src/runtime/manager/provider.ts';
import { startKcp, type Kcp } from '../test/harness/kcp.ts';
import { killAllNow } from '../test/harness/process.ts';

const points = clusterPoints(process.env['KBT_BENCH_CLUSTERS'] ?? '200');
const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 10);
/** Set-up stops when the machine has less memory available than this (MiB). */
const minAvailableMiB = Number(process.env['KBT_BENCH_MIN_AVAILABLE_MIB'] ?? 2048);
const gc = (globalThis as { gc?: () => void }).gc;
/** Set-up steps are kcp's: a workspace or binding that takes this long fails the run. */
const setupStepTimeoutMs = 300_000;
const engageTimeoutMs = (n: number): number => 180_000 + n * 1_000;
const disengageTimeoutMs = (n: number): number => 300_000 + n * 1_000;

/**
 * `200` → 50 and 200 (a quarter first, for the scaling); a list, i.e. anything with a comma
 * (`50,200,1000`, or `1000,` for that point alone) → exactly those, ascending.
 */
function clusterPoints(spec: string): number[] {
  const list = spec
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  if (list.length === 0) throw new Error(`KBT_BENCH_CLUSTERS: no cluster counts in "${spec}"`);
  const [only] = list;
  if (!spec.includes(',') && only !== undefined && only >= 8) list.unshift(Math.round(only / 4));
  return [...new Set(list)].sort((a, b) => a - b);
}

// ---- small helpers --------------------------------------------------------------------------

/** Polls `check` until it returns a value; errors are retried and the last one reported. */
async function until<T>(
  what: string | (() => string),
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const describeWhat = (): string => (typeof what === 'string' ? what : what());
    if (finishing.signal.aborted) throw new Error(`given up: ${describeWhat()}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(
        `timed out after ${(timeoutMs / 1000).toFixed(0)}s: ${describeWhat()}${detail}`,
      );
    }
    await sleep(intervalMs);
  }
}

const describe = (err: unknown): string =>
  err instanceof Error ? (err.stack ?? err.message) : String(err);

/** Aborted when the run ends (or fails): every poll still going gives up. */
const finishing = new AbortController();

/** Thrown from an `until` check to stop polling at once. */
class Fatal extends Error {}

/** Runs `fn(0..n-1)` with at most `limit` calls in flight. */
async function forEachBounded(
  n: number,
  limit: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n && !failed; i = next++) {
      try {
        await fn(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

interface Memory {
  /** V8 heap used, MiB. */
  heap: number;
  /** VmRSS, MiB. */
  rss: number;
}

/** Memory after collecting garbage (several rounds, with turns in between for finalizers). */
async function memoryAfterGC(): Promise<Memory> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(50);
  }
  return { heap: process.memoryUsage().heapUsed / 2 ** 20, rss: rssMiB('self') };
}

/** MemAvailable of the machine, MiB. */
function availableMiB(): number {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  return Number(/MemAvailable:\s+(\d+) kB/.exec(meminfo)?.[1] ?? 0) / 1024;
}

function rssMiB(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const seconds = (ms: number): number => ms / 1000;

// ---- API requests of the providers and controllers ------------------------------------------

/** Requests by `verb resource`, and failed ones by `verb resource code`, from one observer. */
class Requests {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly failed = new Map<string, number>();
  /** Resources a watch was opened on. */
  readonly watched = new Set<string>();
  /** When creates were answered, made or AlreadyExists, by resource (ms since `t0`). */
  readonly created = new Map<string, number[]>();
  t0 = performance.now();

  readonly observe = (r: RequestRecord): void => {
    this.total++;
    if (r.verb === 'create' && (/^2\d\d$/.test(r.code) || r.code === '409')) {
      const times = this.created.get(r.resource) ?? [];
      times.push(performance.now() - this.t0);
      this.created.set(r.resource, times);
    }
    const key = `${r.verb} ${r.resource}`;
    this.byKind.set(key, (this.byKind.get(key) ?? 0) + 1);
    if (r.verb === 'watch') this.watched.add(r.resource);
    if (!/^2\d\d$/.test(r.code)) {
      const f = `${key} ${r.code}`;
      this.failed.set(f, (this.failed.get(f) ?? 0) + 1);
    }
  };

  /** When the `count`th create of `resource` was answered, if it was. */
  createdBy(resource: string, count: number): number | undefined {
    return this.created.get(resource)?.[count - 1];
  }

  snapshot(): { byKind: Map<string, number>; failed: Map<string, number> } {
    return { byKind: new Map(this.byKind), failed: new Map(this.failed) };
  }
}

type Counts = Map<string, number>;

const sum = (c: Counts): number => [...c.values()].reduce((a, b) => a + b, 0);

const readVerbs = new Set(['get', 'list', 'watch']);

function readsAndWrites(c: Counts): { reads: number; writes: number } {
  let [reads, writes] = [0, 0];
  for (const [key, n] of c) {
    if (readVerbs.has(key.split(' ')[0] ?? '')) reads += n;
    else writes += n;
  }
  return { reads, writes };
}

/** Waits until no request was issued for `idleMs`; false if that never happened in `maxMs`. */
async function quiet(requests: Requests, idleMs = 3_000, maxMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let seen = requests.total;
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    if (requests.total !== seen) {
      seen = requests.total;
      since = Date.now();
    } else if (Date.now() - since >= idleMs) {
      return true;
    }
  }
  return false;
}

// ---- the expected watches -------------------------------------------------------------------

/** Records which wildcard informers are asked for; hands out real, never started, ones. */
/** One wildcard informer: what it lists and watches on the virtual workspace. */
interface InformerQuery {
  type: ResourceType;
  labelSelector?: string;
  fieldSelector?: string;
}

class RecordingFactory implements InformerFactory {
  readonly queries = new Map<string, InformerQuery>();
  readonly #inner: InformerFactory;
  constructor(inner: InformerFactory) {
    this.#inner = inner;
  }
  informerFor<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const selectors = [scope.labelSelector, scope.fieldSelector].filter(Boolean).join(',');
    const group = type.group === '' ? 'core' : type.group;
    this.queries.set(`${type.resource}.${group}${selectors ? `[${selectors}]` : ''}`, {
      type,
      ...(scope.labelSelector && { labelSelector: scope.labelSelector }),
      ...(scope.fieldSelector && { fieldSelector: scope.fieldSelector }),
    });
    return this.#inner.informerFor(type, scope);
  }
  start(): void {}
  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The wildcard informers the controllers and the front door ask for on one cluster: every engaged
 * cluster asks for the same ones, so with one wildcard watch each the count is constant in N.
 */
async function expectedInformers(
  specs: readonly ControllerSpec[],
  log: Logger,
): Promise<{ controllers: Map<string, InformerQuery>; frontDoor: Map<string, InformerQuery> }> {
  const client = new KubeClient({ server: 'https://127.0.0.1:1' });
  try {
    const inner = () => new SharedInformerFactory({ client, clock: realClock, log });
    const probe = (wildcard: InformerFactory): Cluster => ({
      name: 'probe',
      client,
      informers: new ScopedInformerFactory(wildcard, 'probe'),
    });
    const controllers = new RecordingFactory(inner());
    const cluster = probe(controllers);
    for (const spec of specs) spec.watches(cluster);
    const frontDoor = new RecordingFactory(inner());
    await new ServedClusters({ naming: (id) => id, settled: () => true, log }).engage(
      probe(frontDoor),
    );
    return { controllers: controllers.queries, frontDoor: frontDoor.queries };
  } finally {
    await client.close();
  }
}

/** The provider's own watches besides its informers': the endpoint slice and the APIBindings. */
const providerWatches = 2;

// ---- the workspaces ---------------------------------------------------------------------------

const Workspaces = resourceType<
  KubeObject & { spec?: { cluster?: string }; status?: { phase?: string } }
>({
  group: 'tenancy.kcp.io',
  version: 'v1alpha1',
  resource: 'workspaces',
  kind: 'Workspace',
  namespaced: false,
});

interface Workspace {
  name: string;
  path: string;
  /** The logical cluster's id, the name the provider engages it by. */
  id: string;
  bound: boolean;
}

interface Env {
  kcp: Kcp;
  /** The kcp admin in root (views of it reach any workspace). */
  root: KubeClient;
  /** The admin in the APIExport's workspace, as the backend connects. */
  connection: ClusterConnection;
  client: KubeClient;
  exportPath: string;
  /** The admin on the virtual workspace, across all its clusters (for the checks only). */
  vw: KubeClient;
  fleet: Workspace[];
  log: Logger;
  options: BackendOptions;
}

async function createWorkspace(root: KubeClient, i: number): Promise<Workspace> {
  const name = `bench-${String(i).padStart(4, '0')}`;
  const workspaces = new ResourceClient(root, Workspaces);
  await ignoreAlreadyExists(workspaces.create({ metadata: { name } }));
  const ws = await until(
    `workspace root:${name} to be Ready`,
    async () => {
      const w = await workspaces.get(name);
      return w.status?.phase === 'Ready' && w.spec?.cluster ? w : undefined;
    },
    setupStepTimeoutMs,
  );
  return { name, path: `root:${name}`, id: ws.spec?.cluster ?? '', bound: false };
}

async function bind(env: Env, ws: Workspace): Promise<void> {
  const bindings = new ResourceClient(env.root.cluster(ws.path), APIBindings);
  // The binding of a previous point may still be going (kcp deletes the bound objects first).
  await until(
    `the APIBinding in ${ws.path} to be created`,
    async () => {
      try {
        await bindings.create(kubeBindAPIBinding(env.exportPath));
        return true;
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        const old = await bindings.get(kubeBindExportName);
        return old.metadata?.deletionTimestamp ? undefined : true;
      }
    },
    setupStepTimeoutMs,
  );
  await until(
    `the APIBinding in ${ws.path} to be Bound`,
    async () => (await bindings.get(kubeBindExportName)).status?.phase === 'Bound' || undefined,
    setupStepTimeoutMs,
  );
  ws.bound = true;
}

async function unbind(env: Env, ws: Workspace): Promise<void> {
  await ignoreNotFound(
    new ResourceClient(env.root.cluster(ws.path), APIBindings).delete(kubeBindExportName),
  );
  ws.bound = false;
}

interface SetupResult {
  created: number;
  bound: number;
  seconds: number;
  kcpRss: number;
}

/** The first `n` workspaces exist and bind kube-bind.io. */
async function setUp(env: Env, n: number): Promise<SetupResult> {
  const started = performance.now();
  let [created, bound] = [0, 0];
  let done = 0;
  // kcp grows by some 15 MiB per workspace: rather stop than have the kernel pick a victim.
  let tooBig: string | undefined;
  const check = (): void => {
    const available = availableMiB();
    const kcpRss = rssMiB(env.kcp.process.pid ?? 0);
    process.stderr.write(
      `  … ${done}/${n} ready and bound after ${fmt(seconds(performance.now() - started), 0)} s ` +
        `(kcp RSS ${fmt(kcpRss, 0)} MiB, ${fmt(available, 0)} MiB available)\n`,
    );
    if (available < minAvailableMiB && tooBig === undefined) {
      tooBig =
        `does not fit: ${fmt(available, 0)} MiB available (< KBT_BENCH_MIN_AVAILABLE_MIB ` +
        `${minAvailableMiB}) with ${env.fleet.length} workspaces, ${done}/${n} of this point ` +
        `ready and bound after ${fmt(seconds(performance.now() - started), 0)} s; ` +
        `kcp RSS ${fmt(kcpRss, 0)} MiB`;
    }
  };
  const progress = setInterval(check, 15_000);
  try {
    await forEachBounded(n, concurrency, async (i) => {
      if (tooBig !== undefined) throw new Error(tooBig);
      let ws = env.fleet[i];
      if (!ws) {
        ws = await createWorkspace(env.root, i);
        env.fleet[i] = ws;
        created++;
      }
      if (!ws.bound) {
        await bind(env, ws);
        bound++;
      }
      done++;
    });
  } finally {
    clearInterval(progress);
  }
  return {
    created,
    bound,
    seconds: seconds(performance.now() - started),
    kcpRss: rssMiB(env.kcp.process.pid ?? 0),
  };
}

// ---- engagement timing ----------------------------------------------------------------------

/** When each cluster was announced, finished engaging and was disengaged (ms since `t0`). */
class Timeline {
  readonly announced = new Map<string, number>();
  readonly engaged = new Map<string, number>();
  readonly disengaged = new Map<string, number>();
  readonly failed = new Map<string, unknown>();
  t0 = performance.now();

  /** `provider` with the sink's engage and disengage timed. */
  wrap<C extends Cluster>(provider: Provider<C>): Provider<C> {
    const at = () => performance.now() - this.t0;
    return {
      run: (sink, signal) =>
        provider.run(
          {
            engage: async (cluster) => {
              this.announced.set(cluster.name, at());
              this.disengaged.delete(cluster.name);
              try {
                await sink.engage(cluster);
                this.engaged.set(cluster.name, at());
              } catch (err) {
                this.failed.set(cluster.name, err);
                throw err;
              }
            },
            disengage: async (name) => {
              await sink.disengage(name);
              this.engaged.delete(name);
              this.announced.delete(name);
              this.disengaged.set(name, at());
            },
          },
          signal,
        ),
    };
  }
}

/** The latest time in `times` over `ids`, or undefined while one is missing. */
function allBy(times: Map<string, number>, ids: readonly string[]): number | undefined {
  let latest = 0;
  for (const id of ids) {
    const t = times.get(id);
    if (t === undefined) return undefined;
    latest = Math.max(latest, t);
  }
  return latest;
}

/**
 * How many of `ids` have an object named `name` of `type` on the virtual workspace. The whole
 * collection is listed: kcp v0.31's virtual workspace answers a wildcard (`/clusters/*`) list or
 * watch with a `metadata.name=` field selector with nothing at all.
 */
async function countOnVW<T extends KubeObject>(
  env: Env,
  type: ResourceType<T>,
  name: string,
  ids: ReadonlySet<string>,
): Promise<number> {
  const { items } = await new ResourceClient(env.vw, type).listAll();
  const clusters = items.filter((o) => o.metadata?.name === name).map(clusterOf);
  return new Set(clusters.filter((c) => ids.has(c))).size;
}

/**
 * Objects of `ids` that the wildcard informers' own queries return on the virtual workspace (what
 * their caches hold once in sync), by informer.
 */
async function servedObjects(
  env: Env,
  queries: ReadonlyMap<string, InformerQuery>,
  ids: ReadonlySet<string>,
): Promise<Counts> {
  const counts: Counts = new Map();
  for (const [id, q] of queries) {
    const { items } = await new ResourceClient(env.vw, q.type).listAll({
      ...(q.labelSelector && { labelSelector: q.labelSelector }),
      ...(q.fieldSelector && { fieldSelector: q.fieldSelector }),
    });
    const mine = items.filter((o) => ids.has(clusterOf(o))).length;
    if (mine > 0) counts.set(id, mine);
  }
  return counts;
}

/**
 * What the provider's first step costs kcp: the wildcard list of every APIBinding (kept in a
 * function of its own, so that nothing of it is left for the baseline).
 */
async function listBindings(env: Env): Promise<PointResult['bindingsList']> {
  const before = await memoryAfterGC();
  const started = performance.now();
  const { items } = await new ResourceClient(env.vw, APIBindings).listAll();
  const took = seconds(performance.now() - started);
  // What a cache of them all costs (each provider's APIBindings informer holds every one).
  const held = await memoryAfterGC();
  return {
    objects: items.length,
    mib: JSON.stringify(items).length / 2 ** 20,
    seconds: took,
    heapMiB: held.heap - before.heap,
  };
}

/**
 * Runs both views once with none of the N workspaces bound (the export's workspace engages), so
 * that code compiled and caches filled on first use are in every point's baseline.
 */
async function warmUp(env: Env): Promise<void> {
  const { log, options } = env;
  const clock = realClock;
  const platform = kcpPlatform(options, {
    connection: env.connection,
    client: env.client,
    clock,
    log,
  });
  const serving = platform.newProvider('controllers');
  const manager = new Manager({
    provider: withEngageHooks(serving.provider, [defaultClusterHook(clock, log)]),
    clock,
    log,
  });
  for (const spec of backendControllers(options, { clock, log }, platform.targetFor)) {
    manager.add(spec);
  }
  const front = platform.newProvider('front-door');
  const served = new ServedClusters({ naming: platform.naming, settled: front.settled, log });
  const stop = new AbortController();
  const running = Promise.all([
    manager.start(stop.signal),
    front.provider.run(served, stop.signal),
  ]);
  try {
    await until(
      'the warm-up to engage the export workspace',
      () => (manager.engagedClusters.length > 0 && served.ready() && served.size > 0) || undefined,
      120_000,
      50,
    );
    await sleep(3_000);
  } finally {
    stop.abort();
    await running;
  }
}

// ---- one point --------------------------------------------------------------------------------

interface Unbinding {
  count: number;
  /** All deletes answered. */
  issuedS: number;
  /** Manager and front door: all disengaged. */
  controllersS: number;
  frontDoorS: number;
  memory: Memory;
  watches: number;
  quiet: boolean;
}

interface PointResult {
  n: number;
  setup: SetupResult;
  expected: { controllers: number; frontDoor: number; informers: string[] };
  /** Engaged clusters not in the fleet (the export's own workspace binds kube-bind.io too). */
  others: number;
  /** One wildcard LIST of APIBindings on the virtual workspace, before the manager starts. */
  bindingsList: { objects: number; mib: number; seconds: number; heapMiB: number };
  announcedS: number;
  managerS: number;
  syncedS: number;
  clusterDefaultS: number;
  clusterRoleS: number;
  baseline: Memory;
  engaged: Memory;
  engagedQuiet: boolean;
  watches: number;
  watchedResources: number;
  /** Objects of the N workspaces the informers' queries return: all engaged, all unbound. */
  cached: { engaged: Counts; unbound: Counts };
  requests: Counts;
  failedRequests: Counts;
  frontDoor: { servedS: number; memory: Memory; watches: number; quiet: boolean };
  half: Unbinding;
  rest: Unbinding;
  stopped: { memory: Memory; watches: number };
  /** After the point, once nothing of it is referenced (its controller specs neither). */
  released?: Memory;
  kcpRss: number;
  problems: number;
}

async function runPoint(env: Env, n: number, logFile: string): Promise<PointResult> {
  process.stderr.write(
    `[N=${n}] set-up: workspaces binding kube-bind.io, ${concurrency} at once…\n`,
  );
  const setup = await setUp(env, n);
  const fleet = env.fleet.slice(0, n);
  const ids = fleet.map((w) => w.id);
  const idSet = new Set(ids);

  const { log, options } = env;
  const requests = new Requests();
  const clock = realClock;
  const platform = kcpPlatform(options, {
    connection: env.connection,
    client: env.client,
    clock,
    log,
    metrics: { requests: requests.observe },
  });
  const specs = backendControllers(options, { clock, log }, platform.targetFor);
  const informers = await expectedInformers(specs, log);
  const expected = {
    controllers: informers.controllers.size + providerWatches,
    frontDoor: informers.frontDoor.size + providerWatches,
    informers: [...informers.controllers.keys()].sort(),
  };
  const queries = new Map([...informers.controllers, ...informers.frontDoor]);
  const bindingsList = await listBindings(env);
  // The set-up's connections idle out (undici closes them after 4 s), then the baseline.
  await sleep(5_000);

  const baseline = await memoryAfterGC();
  process.stderr.write(`[N=${n}] engaging (baseline heap ${baseline.heap.toFixed(1)} MiB)…\n`);
  const serving = platform.newProvider('controllers');
  const timeline = new Timeline();
  const manager = new Manager({
    provider: timeline.wrap(withEngageHooks(serving.provider, [defaultClusterHook(clock, log)])),
    clock,
    log,
  });
  for (const spec of specs) manager.add(spec);
  const stopControllers = new AbortController();
  const stopFrontDoor = new AbortController();
  let failure: unknown;
  const failed = (): void => {
    if (failure !== undefined) {
      throw new Fatal(`the manager or a provider failed: ${describe(failure)}`, { cause: failure });
    }
  };
  timeline.t0 = performance.now();
  requests.t0 = timeline.t0;
  const running = manager.start(stopControllers.signal).catch((err: unknown) => {
    failure ??= err;
  });
  let frontDoorRunning: Promise<void> = Promise.resolve();
  try {
    // Cluster default is made before the manager hears of a cluster (engagedClusters); its
    // engagement then registers the controllers and waits for their caches (synced).
    let managerMs: number | undefined;
    const engagedMs = await until(
      () =>
        `all ${n} clusters engaged (${timeline.announced.size} announced, ` +
        `${manager.engagedClusters.length} in the manager, ${timeline.engaged.size} synced)`,
      () => {
        failed();
        if (managerMs === undefined) {
          const inManager = new Set(manager.engagedClusters);
          if (ids.every((id) => inManager.has(id))) managerMs = performance.now() - timeline.t0;
        }
        return managerMs === undefined ? undefined : allBy(timeline.engaged, ids);
      },
      engageTimeoutMs(n),
      20,
    );
    const announcedMs = allBy(timeline.announced, ids) ?? NaN;
    // The hook's create of Cluster default and the cluster controller's creates of its
    // ClusterRole and then ClusterRoleBinding, one each per engaged cluster, timed in-process;
    // then one wildcard LIST checks that all N have them (polled every 2 s if not yet: a full
    // LIST on a large kcp costs it seconds of CPU, so no tight polling while measuring).
    const engagedNow = manager.engagedClusters.length;
    const createdBy = (resource: string) =>
      until(
        () => `${engagedNow} creates of ${resource} answered`,
        () => {
          failed();
          return requests.createdBy(resource, engagedNow);
        },
        engageTimeoutMs(n),
        20,
      );
    const confirmed = async <T extends KubeObject>(
      type: ResourceType<T>,
      name: string,
      createdMs: number,
    ): Promise<number> => {
      let first = true;
      return until(
        `${type.kind} ${name} in all ${n} workspaces`,
        async () => {
          const all = (await countOnVW(env, type, name, idSet)) === n;
          const at = first ? createdMs : performance.now() - timeline.t0;
          first = false;
          return all ? at : undefined;
        },
        engageTimeoutMs(n),
        2_000,
      );
    };
    const clusterDefaultMs = await confirmed(
      kb.Clusters,
      defaultClusterName,
      await createdBy('clusters'),
    );
    const clusterRoleMs = Math.max(
      await confirmed(ClusterRoles, oidcUserName, await createdBy('clusterroles')),
      await createdBy('clusterrolebindings'),
    );
    const engagedQuiet = await quiet(requests);
    const engagedRequests = requests.snapshot();
    const engaged = await memoryAfterGC();
    const watches = serving.openWatches();
    const cachedEngaged = await servedObjects(env, queries, idSet);
    const others = manager.engagedClusters.filter((c) => !idSet.has(c)).length;

    // The front door's own view of the same clusters.
    process.stderr.write(`[N=${n}] the front door's view…\n`);
    const frontServing = platform.newProvider('front-door');
    const served = new ServedClusters({
      naming: platform.naming,
      settled: frontServing.settled,
      log,
    });
    const frontTimeline = new Timeline();
    frontDoorRunning = frontTimeline
      .wrap(frontServing.provider)
      .run(served, stopFrontDoor.signal)
      .catch((err: unknown) => {
        failure ??= err;
      });
    const servedMs = await until(
      `the front door to serve all ${n} clusters`,
      () => {
        failed();
        const all = allBy(frontTimeline.engaged, ids);
        return all !== undefined && served.ready() ? all : undefined;
      },
      engageTimeoutMs(n),
      20,
    );
    const frontQuiet = await quiet(requests);
    const withFrontDoor = await memoryAfterGC();
    const frontWatches = frontServing.openWatches();

    const unbindSome = async (which: Workspace[], label: string): Promise<Unbinding> => {
      process.stderr.write(`[N=${n}] unbinding ${label}: ${which.length} workspaces…\n`);
      const gone = which.map((w) => w.id);
      const t = performance.now();
      await forEachBounded(which.length, concurrency, async (i) => {
        const ws = which[i];
        if (ws) await unbind(env, ws);
      });
      const issuedMs = performance.now() - t;
      const since = (times: Map<string, number>, t0: number) => {
        const all = allBy(times, gone);
        return all === undefined ? undefined : all - (t - t0);
      };
      const controllersMs = await until(
        `${label}: ${gone.length} clusters disengaged by the controllers`,
        () => {
          failed();
          const left = new Set(manager.engagedClusters);
          return gone.some((id) => left.has(id))
            ? undefined
            : since(timeline.disengaged, timeline.t0);
        },
        disengageTimeoutMs(gone.length),
        20,
      );
      const frontDoorMs = await until(
        `${label}: ${gone.length} clusters no longer served`,
        () => {
          failed();
          return since(frontTimeline.disengaged, frontTimeline.t0);
        },
        disengageTimeoutMs(gone.length),
        20,
      );
      const isQuiet = await quiet(requests);
      return {
        count: which.length,
        issuedS: seconds(issuedMs),
        controllersS: seconds(controllersMs),
        frontDoorS: seconds(frontDoorMs),
        memory: await memoryAfterGC(),
        watches: serving.openWatches() + frontServing.openWatches(),
        quiet: isQuiet,
      };
    };
    const half = await unbindSome(fleet.slice(0, Math.floor(n / 2)), 'half');
    const rest = await unbindSome(fleet.slice(Math.floor(n / 2)), 'the rest');
    const cachedUnbound = await servedObjects(env, queries, idSet);

    process.stderr.write(`[N=${n}] stopping…\n`);
    stopFrontDoor.abort();
    stopControllers.abort();
    await Promise.all([running, frontDoorRunning]);
    if (failure !== undefined) {
      throw new Error(`the manager or a provider failed: ${describe(failure)}`, { cause: failure });
    }
    const stopped = {
      memory: await memoryAfterGC(),
      watches: serving.openWatches() + frontServing.openWatches(),
    };
    return {
      n,
      setup,
      expected,
      others,
      bindingsList,
      announcedS: seconds(announcedMs),
      managerS: seconds(managerMs ?? NaN),
      syncedS: seconds(engagedMs),
      clusterDefaultS: seconds(clusterDefaultMs),
      clusterRoleS: seconds(clusterRoleMs),
      baseline,
      engaged,
      engagedQuiet,
      watches,
      watchedResources: requests.watched.size,
      cached: { engaged: cachedEngaged, unbound: cachedUnbound },
      requests: engagedRequests.byKind,
      failedRequests: engagedRequests.failed,
      frontDoor: {
        servedS: seconds(servedMs),
        memory: withFrontDoor,
        watches: frontWatches,
        quiet: frontQuiet,
      },
      half,
      rest,
      stopped,
      kcpRss: rssMiB(env.kcp.process.pid ?? 0),
      problems: logLines(logFile).length,
    };
  } finally {
    stopFrontDoor.abort();
    stopControllers.abort();
    await Promise.all([running, frontDoorRunning]);
  }
}

// ---- the report -------------------------------------------------------------------------------

const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const s = (v: number): string => `${fmt(v, 2)} s`;
const mib = (v: number): string => `${fmt(v, 1)} MiB`;
const kib = (v: number): string => `${fmt(v * 1024, 0)} KiB`;

/** Clusters engaged in a point: the N workspaces and any other binder (the export's own). */
const engagedCount = (r: PointResult): number => r.n + r.others;

function above(m: Memory, base: Memory): Memory {
  return { heap: m.heap - base.heap, rss: m.rss - base.rss };
}

function report(results: readonly PointResult[]): string {
  const width = 14;
  const head = (name: string) => `| ${name.padEnd(58)} |`;
  const row = (name: string, f: (r: PointResult) => string) =>
    `${head(name)}${results.map((r) => ` ${f(r).padStart(width)} |`).join('')}`;
  const perCluster = (r: PointResult) => {
    const engaged = above(r.engaged, r.baseline);
    const front = above(r.frontDoor.memory, r.engaged);
    return {
      heap: engaged.heap / engagedCount(r),
      rss: engaged.rss / engagedCount(r),
      frontHeap: front.heap / engagedCount(r),
      frontRss: front.rss / engagedCount(r),
    };
  };
  const reqs = (r: PointResult) => readsAndWrites(r.requests);
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const lines = [
    '',
    `kcp provider benchmark: ${points.join(', ')} logical clusters binding kube-bind.io, ` +
      `${concurrency} set-up steps in flight (${availableParallelism()} CPUs, load ${load}; ` +
      `gc ${gc ? 'exposed' : 'NOT exposed: run with --expose-gc'})`,
    `${head('measure')}${results.map((r) => ` ${`N=${r.n}`.padStart(width)} |`).join('')}`,
    `| ${'-'.repeat(58)} |${results.map(() => ` ${'-'.repeat(width)} |`).join('')}`,
    row(
      'set-up by kcp: workspaces created / binds',
      (r) => `${r.setup.created} / ${r.setup.bound}`,
    ),
    row('set-up by kcp: time (all Ready and Bound)', (r) => s(r.setup.seconds)),
    row('set-up by kcp: per bind (incl. workspace when new)', (r) =>
      s(r.setup.seconds / Math.max(1, r.setup.bound)),
    ),
    row(
      'kcp: wildcard LIST of all APIBindings (objects, JSON)',
      (r) => `${r.bindingsList.objects}, ${fmt(r.bindingsList.mib)} MiB`,
    ),
    row('kcp: that LIST took', (r) => s(r.bindingsList.seconds)),
    row('  … its objects in the heap (each provider caches all)', (r) =>
      mib(r.bindingsList.heapMiB),
    ),
    row('engage: all N announced by the provider', (r) => s(r.announcedS)),
    row('engage: all N in the manager (after Cluster default)', (r) => s(r.managerS)),
    row('engage: all N with controllers synced', (r) => s(r.syncedS)),
    row('engage: per cluster (synced time / N)', (r) => `${fmt((r.syncedS / r.n) * 1000)} ms`),
    row('Cluster default in all N (creates answered, LIST checks)', (r) => s(r.clusterDefaultS)),
    row(`ClusterRole(Binding) ${oidcUserName} in all N (same)`, (r) => s(r.clusterRoleS)),
    row('other engaged clusters (the export workspace binds too)', (r) => String(r.others)),
    row('  (per-cluster figures below divide by N + these)', () => ''),
    row('open watches, controllers (expected)', (r) => `${r.watches} (${r.expected.controllers})`),
    row(
      'open watches, front door (expected)',
      (r) => `${r.frontDoor.watches} (${r.expected.frontDoor})`,
    ),
    row('resources watched (controllers and front door)', (r) => String(r.watchedResources)),
    row('objects of the N served to the informers: engaged', (r) => String(sum(r.cached.engaged))),
    row('  … once all N unbound (kcp still serves them)', (r) => String(sum(r.cached.unbound))),
    row('requests per cluster while engaging: reads', (r) =>
      fmt(reqs(r).reads / engagedCount(r), 2),
    ),
    row('requests per cluster while engaging: writes', (r) =>
      fmt(reqs(r).writes / engagedCount(r), 2),
    ),
    row('failed requests while engaging (all clusters)', (r) =>
      String([...r.failedRequests.values()].reduce((a, b) => a + b, 0)),
    ),
    row('heap used: baseline before the manager', (r) => mib(r.baseline.heap)),
    row('heap used above baseline: N engaged', (r) => mib(r.engaged.heap - r.baseline.heap)),
    row('heap per engaged cluster', (r) => kib(perCluster(r).heap)),
    row('RSS: baseline', (r) => mib(r.baseline.rss)),
    row('RSS above baseline: N engaged', (r) => mib(r.engaged.rss - r.baseline.rss)),
    row('RSS per engaged cluster', (r) => kib(perCluster(r).rss)),
    row('front door: all N served after', (r) => s(r.frontDoor.servedS)),
    row('front door: heap per cluster', (r) => kib(perCluster(r).frontHeap)),
    row('front door: RSS per cluster', (r) => kib(perCluster(r).frontRss)),
    row('unbind N/2: deletes answered after', (r) => s(r.half.issuedS)),
    row(
      'unbind N/2: all disengaged (controllers / front door)',
      (r) => `${fmt(r.half.controllersS)} / ${fmt(r.half.frontDoorS)} s`,
    ),
    row(
      'unbind rest: all disengaged (controllers / front door)',
      (r) => `${fmt(r.rest.controllersS)} / ${fmt(r.rest.frontDoorS)} s`,
    ),
    row('heap above baseline: both views engaged', (r) =>
      mib(r.frontDoor.memory.heap - r.baseline.heap),
    ),
    row('heap above baseline: N/2 unbound', (r) => mib(r.half.memory.heap - r.baseline.heap)),
    row('  … ratio to both views engaged (~0.5 expected)', (r) =>
      fmt((r.half.memory.heap - r.baseline.heap) / (r.frontDoor.memory.heap - r.baseline.heap), 2),
    ),
    row('heap above baseline: all unbound', (r) => mib(r.rest.memory.heap - r.baseline.heap)),
    row('heap above baseline: stopped (controller specs held)', (r) =>
      mib(r.stopped.memory.heap - r.baseline.heap),
    ),
    row('heap above baseline: after the point, all dropped', (r) =>
      mib((r.released?.heap ?? NaN) - r.baseline.heap),
    ),
    row('RSS above baseline: engaged → N/2 → none → stopped', (r) =>
      [r.frontDoor.memory, r.half.memory, r.rest.memory, r.stopped.memory]
        .map((m) => fmt(m.rss - r.baseline.rss, 0))
        .join('→'),
    ),
    row('open watches both views: engaged → N/2 → none → stop', (r) =>
      [r.watches + r.frontDoor.watches, r.half.watches, r.rest.watches, r.stopped.watches].join(
        '→',
      ),
    ),
    row(
      'kcp RSS after set-up / at the end',
      (r) => `${fmt(r.setup.kcpRss, 0)}/${fmt(r.kcpRss, 0)}`,
    ),
    row('warnings and errors logged (cumulative)', (r) => String(r.problems)),
    '',
  ];
  const notQuiet = results.flatMap((r) =>
    [
      ['engaged', r.engagedQuiet],
      ['front door', r.frontDoor.quiet],
      ['N/2 unbound', r.half.quiet],
      ['all unbound', r.rest.quiet],
    ]
      .filter(([, q]) => !q)
      .map(([phase]) => `N=${r.n} ${String(phase)}`),
  );
  if (notQuiet.length > 0) {
    lines.push(`note: requests had not stopped for 3 s within 60 s at: ${notQuiet.join(', ')}`);
  }
  lines.push(`wildcard informers of the controllers (one watch each, whatever N):`);
  lines.push(`  ${results[0]?.expected.informers.join(', ') ?? ''}`);
  for (const r of results) {
    const top = [...r.requests]
      .sort((a, b) => b[1] - a[1])
      .filter(([, c]) => c / engagedCount(r) >= 0.05)
      .map(([k, c]) => `${k} ${fmt(c / engagedCount(r), 2)}`)
      .join(', ');
    lines.push(`requests per cluster while engaging, N=${r.n}: ${top || 'none'}`);
    if (r.failedRequests.size > 0) {
      const failedList = [...r.failedRequests].map(([k, c]) => `${k} ×${c}`).join(', ');
      lines.push(`  failed: ${failedList}`);
    }
  }
  for (const r of results) {
    const by = (c: Counts) => [...c].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    lines.push(`objects of the N=${r.n} served to the informers, engaged: ${by(r.cached.engaged)}`);
    lines.push(`  … once all unbound: ${by(r.cached.unbound)}`);
  }
  lines.push('', ...scaling(results), '', ...figures(results), '');
  return lines.join('\n');
}

/** How the figures grow from one point to the next, against the growth in N. */
function scaling(results: readonly PointResult[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < results.length; i++) {
    const [a, b] = [results[i - 1], results[i]];
    if (!a || !b) continue;
    const x = b.n / a.n;
    const ratio = (f: (r: PointResult) => number) => fmt(f(b) / f(a), 2);
    const heapPer = (r: PointResult) => (r.engaged.heap - r.baseline.heap) / engagedCount(r);
    out.push(
      `scaling N=${a.n} → N=${b.n} (×${fmt(x, 2)}): engage time ×${ratio((r) => r.syncedS)}, ` +
        `Cluster default everywhere ×${ratio((r) => r.clusterDefaultS)}, ` +
        `ClusterRole everywhere ×${ratio((r) => r.clusterRoleS)}, ` +
        `heap per cluster ×${ratio(heapPer)}, open watches ×${ratio((r) => r.watches)}, ` +
        `kcp set-up per bind ×${ratio((r) => r.setup.seconds / Math.max(1, r.setup.bound))}`,
    );
  }
  return out;
}

/** One `name value` line per figure, for scripts. */
function figures(results: readonly PointResult[]): string[] {
  return results.flatMap((r) => {
    const p = `n${r.n}_`;
    return [
      `${p}setup_s ${fmt(r.setup.seconds, 2)}`,
      `${p}engage_all_s ${fmt(r.syncedS, 3)}`,
      `${p}cluster_default_all_s ${fmt(r.clusterDefaultS, 2)}`,
      `${p}cluster_role_all_s ${fmt(r.clusterRoleS, 2)}`,
      `${p}open_watches ${r.watches}`,
      `${p}open_watches_expected ${r.expected.controllers}`,
      `${p}heap_kib_per_cluster ${fmt(((r.engaged.heap - r.baseline.heap) / engagedCount(r)) * 1024, 1)}`,
      `${p}rss_kib_per_cluster ${fmt(((r.engaged.rss - r.baseline.rss) / engagedCount(r)) * 1024, 1)}`,
      `${p}front_door_served_all_s ${fmt(r.frontDoor.servedS, 3)}`,
      `${p}unbind_half_disengaged_s ${fmt(r.half.controllersS, 2)}`,
      `${p}heap_mib_above_baseline_stopped ${fmt(r.stopped.memory.heap - r.baseline.heap, 2)}`,
    ];
  });
}

function logLines(file: string): string[] {
  const text = readFileSync(file, 'utf8').trim();
  return text === '' ? [] : text.split('\n');
}

/** The log holds warnings and errors only: grouped by message and error, with a count. */
function logSummary(file: string): string {
  const groups = new Map<string, { count: number; example: string }>();
  for (const line of logLines(file)) {
    let key = line.slice(0, 120);
    let example = line;
    try {
      const e = JSON.parse(line) as {
        level?: number;
        provider?: string;
        controller?: string;
        msg?: string;
        err?: { type?: string; message?: string };
      };
      key = `level ${e.level} ${e.provider ?? e.controller ?? '-'}: ${e.msg} (${e.err?.type ?? '-'})`;
      example = e.err?.message ?? e.msg ?? line;
    } catch {
      // not JSON: keyed by its beginning
    }
    const group = groups.get(key) ?? { count: 0, example: example.slice(0, 300) };
    group.count++;
    groups.set(key, group);
  }
  const count = [...groups.values()].reduce((sum, g) => sum + g.count, 0);
  return [
    `backend log: ${count} warning/error lines`,
    ...[...groups].map(([key, g]) => `  ${g.count}× ${key}\n      e.g. ${g.example}`),
    '',
  ].join('\n');
}

// ---- main -------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-kcp-'));
// Interrupted: kill kcp now (it also dies with us, via pdeathsig) and drop the files.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
if (!gc)
  process.stderr.write('note: run with --expose-gc (npm run bench:kcp) for memory figures\n');

const logFile = join(dir, 'backend.log');
const log = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: true }));
const cleanups: (() => Promise<unknown>)[] = [];
const started = performance.now();
try {
  process.stderr.write('starting kcp…\n');
  const kcp = await startKcp({ baseDir: dir });
  cleanups.push(() => kcp.stop());
  const admin = await connectionFromKubeconfig({ file: kcp.adminKubeconfigPath });
  const origin = new URL(admin.server).origin;
  const root = new KubeClient(
    { ...admin, server: `${origin}/clusters/root` },
    {
      userAgent: 'bench-driver',
    },
  );
  cleanups.push(() => root.close());
  process.stderr.write('bootstrapping kube-bind.io…\n');
  const exportPath = await bootstrapKcp({
    client: root,
    workspace: 'kube-bind',
    bindableBy: [{ kind: 'Group', name: 'system:authenticated' }],
    log,
    timeoutMs: 180_000,
  });
  const connection = { ...admin, server: `${origin}/clusters/${exportPath}` };
  const client = new KubeClient(connection, { userAgent: 'bench-backend' });
  cleanups.push(() => client.close());
  const url = await until(
    'the kube-bind.io endpoint slice to have a URL',
    async () =>
      endpointURL(
        await new ResourceClient(client, APIExportEndpointSlices).get(kubeBindExportName),
      ),
    120_000,
    500,
  );
  const vwClient = new KubeClient({ ...admin, server: url }, { userAgent: 'bench-checks' });
  cleanups.push(() => vwClient.close());
  const options = await loadBackendOptions(
    ['--multicluster-runtime-provider=kcp', '--frontend-disabled'],
    { readFile: () => Promise.reject(new Error('no files here')), env: {} },
  );
  const env: Env = {
    kcp,
    root,
    connection,
    client,
    exportPath,
    vw: vwClient.cluster('*'),
    fleet: [],
    log,
    options,
  };
  process.stderr.write('warming up (both views, no workspace bound)…\n');
  await warmUp(env);
  const results: PointResult[] = [];
  for (const n of points) {
    const result = await runPoint(env, n, logFile);
    // Everything of the point unreachable now, the controller specs included.
    result.released = await memoryAfterGC();
    results.push(result);
  }
  process.stdout.write(report(results));
  process.stdout.write(logSummary(logFile));
  process.stdout.write(`total run time ${s(seconds(performance.now() - started))}\n`);
} catch (err) {
  process.stderr.write(`bench:kcp failed: ${describe(err)}\n`);
  process.stderr.write(logSummary(logFile));
  process.exitCode = 1;
} finally {
  finishing.abort();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
