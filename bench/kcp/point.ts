// One point of the benchmark: N workspaces bound, then both views (the controllers' manager and the
// front door's served clusters) engage them, and they are unbound in two halves. Each phase is a
// method of PointRun; runPoint calls them in order.
import { setTimeout as sleep } from 'node:timers/promises';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { backendControllers } from '../../src/backend/app/app.ts';
import { defaultClusterHook } from '../../src/backend/app/default-cluster.ts';
import { kcpPlatform } from '../../src/backend/app/platform.ts';
import { ServedClusters } from '../../src/backend/binding/clusters.ts';
import { defaultClusterName } from '../../src/backend/controllers/cluster/controller.ts';
import { oidcUserName } from '../../src/backend/controllers/cluster/decide.ts';
import type { KubeObject, ResourceType } from '../../src/kube/resource.ts';
import { ClusterRoles } from '../../src/kube/resources.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { withEngageHooks } from '../../src/runtime/manager/provider.ts';
import { forEachBounded } from '../lib/concurrency.ts';
import { rssMiB } from '../lib/proc.ts';
import type { Counts } from '../lib/requests.ts';
import { Fatal } from '../lib/wait.ts';
import {
  concurrency,
  describe,
  disengageTimeoutMs,
  engageTimeoutMs,
  poll,
  seconds,
} from './config.ts';
import type { Env, Workspace } from './env.ts';
import { setUp, unbind, type SetupResult } from './fleet.ts';
import { expectedInformers, providerWatches, type InformerQuery } from './informers.ts';
import { logLines } from './log.ts';
import { memoryAfterGC, type Memory } from './memory.ts';
import { countOnVW, listBindings, servedObjects, type BindingsList } from './observe.ts';
import { quiet, Requests } from './requests.ts';
import { allBy, Timeline } from './timeline.ts';

export interface Unbinding {
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

export interface PointResult {
  n: number;
  setup: SetupResult;
  expected: { controllers: number; frontDoor: number; informers: string[] };
  /** Engaged clusters not in the fleet (the export's own workspace binds kube-bind.io too). */
  others: number;
  /** One wildcard LIST of APIBindings on the virtual workspace, before the manager starts. */
  bindingsList: BindingsList;
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

/** The front door's view once it serves all N. */
interface FrontDoorView {
  servedMs: number;
  quiet: boolean;
  memory: Memory;
  watches: number;
}

type Platform = ReturnType<typeof kcpPlatform>;
type Serving = ReturnType<Platform['newProvider']>;

/** One point's views of the fleet while it runs: what every phase after the set-up shares. */
class PointRun {
  readonly ids: string[];
  readonly idSet: ReadonlySet<string>;
  readonly requests = new Requests();
  readonly platform: Platform;
  readonly specs: ControllerSpec[];
  readonly timeline = new Timeline();
  readonly frontTimeline = new Timeline();
  readonly stopControllers = new AbortController();
  readonly stopFrontDoor = new AbortController();
  serving: Serving | undefined;
  frontServing: Serving | undefined;
  manager: Manager | undefined;
  running: Promise<void> = Promise.resolve();
  frontDoorRunning: Promise<void> = Promise.resolve();
  /** The first error of the manager or a provider, which every later wait reports. */
  failure: unknown;

  readonly env: Env;
  readonly n: number;

  constructor(env: Env, n: number, fleet: readonly Workspace[]) {
    this.env = env;
    this.n = n;
    this.ids = fleet.map((w) => w.id);
    this.idSet = new Set(this.ids);
    this.platform = kcpPlatform(env.options, {
      connection: env.connection,
      client: env.client,
      clock: realClock,
      log: env.log,
      metrics: { requests: this.requests.observe },
    });
    const { targetFor } = this.platform;
    this.specs = backendControllers(env.options, { clock: realClock, log: env.log }, targetFor);
  }

  readonly recordFailure = (err: unknown): void => {
    this.failure ??= err;
  };

  /** Throws at once (through any poll) when the manager or a provider failed. */
  failed(): void {
    if (this.failure !== undefined) {
      throw new Fatal(`the manager or a provider failed: ${describe(this.failure)}`, {
        cause: this.failure,
      });
    }
  }

  /** The wildcard informers both views will ask for, counted on a probe cluster. */
  async expected(): Promise<{
    expected: PointResult['expected'];
    queries: Map<string, InformerQuery>;
  }> {
    const informers = await expectedInformers(this.specs, this.env.log);
    return {
      expected: {
        controllers: informers.controllers.size + providerWatches,
        frontDoor: informers.frontDoor.size + providerWatches,
        informers: [...informers.controllers.keys()].sort(),
      },
      queries: new Map([...informers.controllers, ...informers.frontDoor]),
    };
  }

  /**
   * Starts the manager with the backend controllers; returns when all N are announced, in the
   * manager (after Cluster default was made) and synced.
   */
  async engage(): Promise<{ announcedMs: number; managerMs: number; engagedMs: number }> {
    const { log } = this.env;
    this.serving = this.platform.newProvider('controllers');
    const hooks = [defaultClusterHook(realClock, log)];
    const manager = new Manager({
      provider: this.timeline.wrap(withEngageHooks(this.serving.provider, hooks)),
      clock: realClock,
      log,
    });
    this.manager = manager;
    for (const spec of this.specs) manager.add(spec);
    this.timeline.t0 = performance.now();
    this.requests.t0 = this.timeline.t0;
    this.running = manager.start(this.stopControllers.signal).catch(this.recordFailure);
    // Cluster default is made before the manager hears of a cluster (engagedClusters); its
    // engagement then registers the controllers and waits for their caches (synced).
    let managerMs: number | undefined;
    const engagedMs = await poll(
      () =>
        `all ${this.n} clusters engaged (${this.timeline.announced.size} announced, ` +
        `${manager.engagedClusters.length} in the manager, ${this.timeline.engaged.size} synced)`,
      () => {
        this.failed();
        if (managerMs === undefined) {
          const inManager = new Set(manager.engagedClusters);
          if (this.ids.every((id) => inManager.has(id))) {
            managerMs = performance.now() - this.timeline.t0;
          }
        }
        return managerMs === undefined ? undefined : allBy(this.timeline.engaged, this.ids);
      },
      engageTimeoutMs(this.n),
      20,
    );
    const announcedMs = allBy(this.timeline.announced, this.ids) ?? NaN;
    return { announcedMs, managerMs: managerMs ?? NaN, engagedMs };
  }

  /**
   * The hook's create of Cluster default and the cluster controller's creates of its ClusterRole
   * and then ClusterRoleBinding, one each per engaged cluster, timed in-process; then one wildcard
   * LIST checks that all N have them (polled every 2 s if not yet: a full LIST on a large kcp costs
   * it seconds of CPU, so no tight polling while measuring).
   */
  async controllersRan(): Promise<{ clusterDefaultMs: number; clusterRoleMs: number }> {
    const engagedNow = this.engagedClusters().length;
    const createdBy = (resource: string) =>
      poll(
        () => `${engagedNow} creates of ${resource} answered`,
        () => {
          this.failed();
          return this.requests.createdBy(resource, engagedNow);
        },
        engageTimeoutMs(this.n),
        20,
      );
    const clusterDefaultMs = await this.confirmed(
      kb.Clusters,
      defaultClusterName,
      await createdBy('clusters'),
    );
    const clusterRoleMs = Math.max(
      await this.confirmed(ClusterRoles, oidcUserName, await createdBy('clusterroles')),
      await createdBy('clusterrolebindings'),
    );
    return { clusterDefaultMs, clusterRoleMs };
  }

  /** `createdMs` if all N have `name` at the first LIST, else when a later one finds them all. */
  private confirmed<T extends KubeObject>(
    type: ResourceType<T>,
    name: string,
    createdMs: number,
  ): Promise<number> {
    let first = true;
    return poll(
      `${type.kind} ${name} in all ${this.n} workspaces`,
      async () => {
        const all = (await countOnVW(this.env, type, name, this.idSet)) === this.n;
        const at = first ? createdMs : performance.now() - this.timeline.t0;
        first = false;
        return all ? at : undefined;
      },
      engageTimeoutMs(this.n),
      2_000,
    );
  }

  engagedClusters(): readonly string[] {
    return this.manager?.engagedClusters ?? [];
  }

  openWatches(): number {
    return (this.serving?.openWatches() ?? 0) + (this.frontServing?.openWatches() ?? 0);
  }

  /** Starts the front door's own provider and view of the same clusters; waits until it serves all N. */
  async frontDoorView(): Promise<FrontDoorView> {
    const { log } = this.env;
    const frontServing = this.platform.newProvider('front-door');
    this.frontServing = frontServing;
    const served = new ServedClusters({
      naming: this.platform.naming,
      settled: frontServing.settled,
      log,
    });
    // Timed from here, as the controllers' view is from the manager's start.
    this.frontTimeline.t0 = performance.now();
    this.frontDoorRunning = this.frontTimeline
      .wrap(frontServing.provider)
      .run(served, this.stopFrontDoor.signal)
      .catch(this.recordFailure);
    const servedMs = await poll(
      `the front door to serve all ${this.n} clusters`,
      () => {
        this.failed();
        const all = allBy(this.frontTimeline.engaged, this.ids);
        return all !== undefined && served.ready() ? all : undefined;
      },
      engageTimeoutMs(this.n),
      20,
    );
    const isQuiet = await quiet(this.requests);
    const memory = await memoryAfterGC();
    return { servedMs, quiet: isQuiet, memory, watches: frontServing.openWatches() };
  }

  /** Deletes the APIBinding in `which`; waits until both views disengaged them. */
  async unbindSome(which: readonly Workspace[], label: string): Promise<Unbinding> {
    process.stderr.write(`[N=${this.n}] unbinding ${label}: ${which.length} workspaces…\n`);
    const gone = which.map((w) => w.id);
    const t = performance.now();
    await forEachBounded(which.length, concurrency, async (i) => {
      const ws = which[i];
      if (ws) await unbind(this.env, ws);
    });
    const issuedMs = performance.now() - t;
    const since = (times: Map<string, number>, t0: number) => {
      const all = allBy(times, gone);
      return all === undefined ? undefined : all - (t - t0);
    };
    const controllersMs = await poll(
      `${label}: ${gone.length} clusters disengaged by the controllers`,
      () => {
        this.failed();
        const left = new Set(this.engagedClusters());
        return gone.some((id) => left.has(id))
          ? undefined
          : since(this.timeline.disengaged, this.timeline.t0);
      },
      disengageTimeoutMs(gone.length),
      20,
    );
    const frontDoorMs = await poll(
      `${label}: ${gone.length} clusters no longer served`,
      () => {
        this.failed();
        return since(this.frontTimeline.disengaged, this.frontTimeline.t0);
      },
      disengageTimeoutMs(gone.length),
      20,
    );
    const isQuiet = await quiet(this.requests);
    return {
      count: which.length,
      issuedS: seconds(issuedMs),
      controllersS: seconds(controllersMs),
      frontDoorS: seconds(frontDoorMs),
      memory: await memoryAfterGC(),
      watches: this.openWatches(),
      quiet: isQuiet,
    };
  }

  /** Stops both views and waits for them; idempotent, so that `finally` may call it again. */
  async stop(): Promise<void> {
    this.stopFrontDoor.abort();
    this.stopControllers.abort();
    await Promise.all([this.running, this.frontDoorRunning]);
  }
}

export async function runPoint(env: Env, n: number, logFile: string): Promise<PointResult> {
  process.stderr.write(
    `[N=${n}] set-up: workspaces binding kube-bind.io, ${concurrency} at once…\n`,
  );
  const setup = await setUp(env, n);
  const fleet = env.fleet.slice(0, n);
  const run = new PointRun(env, n, fleet);
  const { expected, queries } = await run.expected();
  const bindingsList = await listBindings(env);
  // The set-up's connections idle out (undici closes them after 4 s), then the baseline.
  await sleep(5_000);

  const baseline = await memoryAfterGC();
  process.stderr.write(`[N=${n}] engaging (baseline heap ${baseline.heap.toFixed(1)} MiB)…\n`);
  try {
    const { announcedMs, managerMs, engagedMs } = await run.engage();
    const { clusterDefaultMs, clusterRoleMs } = await run.controllersRan();
    const engagedQuiet = await quiet(run.requests);
    const engagedRequests = run.requests.snapshot();
    const engaged = await memoryAfterGC();
    const watches = run.serving?.openWatches() ?? 0;
    const cachedEngaged = await servedObjects(env, queries, run.idSet);
    const others = run.engagedClusters().filter((c) => !run.idSet.has(c)).length;

    process.stderr.write(`[N=${n}] the front door's view…\n`);
    const frontDoor = await run.frontDoorView();

    const half = await run.unbindSome(fleet.slice(0, Math.floor(n / 2)), 'half');
    const rest = await run.unbindSome(fleet.slice(Math.floor(n / 2)), 'the rest');
    const cachedUnbound = await servedObjects(env, queries, run.idSet);

    process.stderr.write(`[N=${n}] stopping…\n`);
    await run.stop();
    if (run.failure !== undefined) {
      throw new Error(`the manager or a provider failed: ${describe(run.failure)}`, {
        cause: run.failure,
      });
    }
    const stopped = { memory: await memoryAfterGC(), watches: run.openWatches() };
    return {
      n,
      setup,
      expected,
      others,
      bindingsList,
      announcedS: seconds(announcedMs),
      managerS: seconds(managerMs),
      syncedS: seconds(engagedMs),
      clusterDefaultS: seconds(clusterDefaultMs),
      clusterRoleS: seconds(clusterRoleMs),
      baseline,
      engaged,
      engagedQuiet,
      watches,
      watchedResources: run.requests.watched.size,
      cached: { engaged: cachedEngaged, unbound: cachedUnbound },
      requests: engagedRequests.byKind,
      failedRequests: engagedRequests.failed,
      frontDoor: {
        servedS: seconds(frontDoor.servedMs),
        memory: frontDoor.memory,
        watches: frontDoor.watches,
        quiet: frontDoor.quiet,
      },
      half,
      rest,
      stopped,
      kcpRss: rssMiB(env.kcp.process.pid ?? 0),
      problems: logLines(logFile).length,
    };
  } finally {
    await run.stop();
  }
}
