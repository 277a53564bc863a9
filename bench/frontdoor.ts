// Benchmark of the HTTP front door: the whole CLI bind flow — GET /api/exports,
// /api/authorize, the embedded issuer's /oidc/authorize, /api/callback (token), POST /api/bind —
// driven at a fixed concurrency against bin/backend as a separate process, once with the
// in-memory session store and once with Redis. Prints flows per second, p50/p99 latency of a
// whole flow and of each step, and the backend's peak RSS. Figures, not pass/fail.
//   node bench/frontdoor.ts   (KBT_BENCH_FLOWS, KBT_BENCH_CONCURRENCY, KBT_BENCH_IDENTITIES)
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../src/kube/client.ts';
import { installCRDs } from '../src/kube/crds.ts';
import { ignoreAlreadyExists } from '../src/kube/errors.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { startRedis } from '../test/harness/redis.ts';
import { spawnBackend, stopChild } from './lib/backend-process.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { ascending, percentile } from './lib/percentile.ts';
import { peakRssMiB } from './lib/proc.ts';
import { location } from './lib/redirect.ts';
import { tableRow } from './lib/table.ts';
import { until } from './lib/wait.ts';

const flows = Number(process.env['KBT_BENCH_FLOWS'] ?? 400);
const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 8);
/** Consumers: the first bind of each provisions (namespace, SA, token, RBAC), later ones reuse. */
const identities = Number(process.env['KBT_BENCH_IDENTITIES'] ?? 50);
const steps = ['exports', 'authorize', 'idp', 'callback', 'bind'] as const;
type Step = (typeof steps)[number];

/** One CLI bind flow; returns the time of each step in ms. */
async function flow(origin: string, i: number, label: string): Promise<Record<Step, number>> {
  const times = {} as Record<Step, number>;
  const time = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await work();
    times[step] = performance.now() - t;
    return out;
  };
  const provider = await time('exports', async () => {
    const res = await fetch(`${origin}/api/exports`);
    return (await res.json()) as {
      authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[];
    };
  });
  const authorize = new URL(
    provider.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL ?? '',
  );
  authorize.searchParams.set('redirect_url', 'http://127.0.0.1:1/callback');
  authorize.searchParams.set('session_id', `BENCH${String(i).padStart(21, '0')}`);
  authorize.searchParams.set('client_type', 'cli');
  const jar = new Map<string, string>();
  const toIdp = await time('authorize', () => location(authorize.href, jar));
  const toCallback = await time('idp', () => location(toIdp, jar));
  const back = await time('callback', () => location(toCallback, jar));
  const token = new URL(back).searchParams.get('access_token') ?? '';
  await time('bind', async () => {
    const res = await fetch(`${origin}/api/bind`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: 'bench-cowboys' },
        spec: {
          templateRef: { name: 'cowboys' },
          // Each run provisions its own consumers, so the runs compare.
          clusterIdentity: { identity: `bench-${label}-${i % identities}` },
        },
      }),
    });
    if (res.status !== 200) throw new Error(`bind answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  });
  return times;
}

async function startBackend(
  kubeconfig: string,
  extra: string[],
): Promise<{ origin: string; child: ChildProcess }> {
  const started = await spawnBackend(kubeconfig, [
    // Every flow comes from one loopback address: measure the handlers, not the limiter.
    '--login-rate-limit=0',
    ...extra,
  ]);
  const { origin, child } = started;
  await until(
    'bin/backend to become ready',
    async () => {
      if (child.exitCode !== null) throw new Error('bin/backend did not become ready');
      const res = await fetch(`${origin}/readyz`).catch(() => undefined);
      return res?.ok || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  return started;
}

async function run(label: string, kubeconfig: string, extra: string[]): Promise<string[]> {
  const { origin, child } = await startBackend(kubeconfig, extra);
  try {
    // The backend installed the kube-bind.io API on start; now the template can exist.
    await ignoreAlreadyExists(
      new ResourceClient(admin, kb.APIServiceExportTemplates).create({
        metadata: { name: 'cowboys' },
        spec: {
          scope: 'Namespaced',
          resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        },
      }),
    );
    // The cluster controller grants the embedded user once it runs; wait for the first flow.
    await until('the first flow to bind', () => flow(origin, -1, label), {
      timeoutMs: 30_000,
      intervalMs: 500,
      retryErrors: true,
    });
    const records: Record<Step, number>[] = [];
    const totals: number[] = [];
    const started = performance.now();
    await forEachBounded(flows, concurrency, async (i) => {
      const t = performance.now();
      records.push(await flow(origin, i, label));
      totals.push(performance.now() - t);
    });
    const seconds = (performance.now() - started) / 1000;
    const rss = child.pid === undefined ? 0 : peakRssMiB(child.pid);
    const flowMs = ascending(totals);
    const stepFigures = steps.map((s) => {
      const values = ascending(records.map((r) => r[s]));
      return `${s} ${percentile(values, 0.5).toFixed(1)}/${percentile(values, 0.99).toFixed(1)}`;
    });
    return [
      label,
      `${(flows / seconds).toFixed(1)}/s`,
      `${percentile(flowMs, 0.5).toFixed(1)} ms`,
      `${percentile(flowMs, 0.99).toFixed(1)} ms`,
      `${rss.toFixed(0)} MiB`,
      stepFigures.join(', '),
    ];
  } finally {
    await stopChild(child);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kbt-bench-frontdoor-'));
process.stderr.write('starting etcd + kube-apiserver + kube-controller-manager and redis…\n');
const cluster = await startKubeCluster({ name: 'bench', baseDir: dir, controllerManager: true });
const redis = await startRedis({ baseDir: dir });
const admin = new KubeClient(cluster.adminConnection(), { userAgent: 'bench-driver' });
try {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'bench' });
  const rows = [await run('memory', cluster.adminKubeconfigPath, [])];
  rows.push(await run('redis', cluster.adminKubeconfigPath, [`--redis-addr=${redis.address}`]));
  const row = (cells: string[]) => tableRow(cells);
  process.stdout.write(
    [
      '',
      `front door benchmark: ${flows} CLI bind flows (exports → authorize → IdP → callback → bind), ` +
        `${concurrency} at a time, ${identities} consumers`,
      row(['store', 'flows/s', 'flow p50', 'flow p99', 'backend peak RSS', 'step p50/p99 (ms)']),
      row(['---', '---', '---', '---', '---', '---']),
      ...rows.map(row),
      '',
    ].join('\n'),
  );
} finally {
  await admin.close();
  await redis.stop();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
