// kcp provider benchmark: the backend's controllers over many logical clusters
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
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { kubeBindExportName } from '../src/apis/kubebind/kcp.ts';
import { loadBackendOptions } from '../src/backend/options/options.ts';
import { KubeClient } from '../src/kube/client.ts';
import { connectionFromKubeconfig } from '../src/kube/config.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { bootstrapKcp } from '../src/providers/kcp/bootstrap.ts';
import { APIExportEndpointSlices, endpointURL } from '../src/providers/kcp/provider.ts';
import { startKcp } from '../test/harness/kcp.ts';
import { describe, finishing, gc, points, poll, seconds } from './kcp/config.ts';
import type { Env } from './kcp/env.ts';
import { s } from './kcp/format.ts';
import { backendLogSummary } from './kcp/log.ts';
import { memoryAfterGC } from './kcp/memory.ts';
import { runPoint, type PointResult } from './kcp/point.ts';
import { report } from './kcp/report.ts';
import { warmUp } from './kcp/warm-up.ts';
import { scratchDir } from './lib/scratch.ts';

type Cleanups = (() => Promise<unknown>)[];

/** A private kcp with kube-bind.io exported, and the clients every phase uses. */
async function startEnv(dir: string, log: Logger, cleanups: Cleanups): Promise<Env> {
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
  const url = await poll(
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
  return {
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
}

/** Every point in turn, smallest first, after one warm-up of both views. */
async function runPoints(env: Env, logFile: string): Promise<PointResult[]> {
  process.stderr.write('warming up (both views, no workspace bound)…\n');
  await warmUp(env);
  const results: PointResult[] = [];
  for (const n of points) {
    const result = await runPoint(env, n, logFile);
    // Everything of the point unreachable now, the controller specs included.
    result.released = await memoryAfterGC();
    results.push(result);
  }
  return results;
}

const dir = scratchDir('kbt-bench-kcp-');
if (!gc)
  process.stderr.write('note: run with --expose-gc (npm run bench:kcp) for memory figures\n');

const logFile = join(dir, 'backend.log');
const log = pino({ level: 'warn' }, pino.destination({ dest: logFile, sync: true }));
const cleanups: Cleanups = [];
const started = performance.now();
try {
  const env = await startEnv(dir, log, cleanups);
  const results = await runPoints(env, logFile);
  process.stdout.write(report(results));
  process.stdout.write(backendLogSummary(logFile));
  process.stdout.write(`total run time ${s(seconds(performance.now() - started))}\n`);
} catch (err) {
  process.stderr.write(`bench:kcp failed: ${describe(err)}\n`);
  process.stderr.write(backendLogSummary(logFile));
  process.exitCode = 1;
} finally {
  finishing.abort();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
