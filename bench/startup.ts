// Start-up benchmark: how long the programs take to start on this machine, as a
// user meets them, each time next to its target.
//   - `kubectl bind --help`, `kubectl bind templates` (a real listing from a running backend with
//     a stored login), `bin/konnector --help` and `bin/backend --help`: wall time of the whole
//     process, median and slowest of KBT_BENCH_RUNS runs (10) after one unmeasured run that fills
//     Node's compile cache, as a user's second run would find it;
//   - `bin/backend` ready: from spawn until `/readyz` answers 200 against a running kube-apiserver
//     that already has the kube-bind.io CRDs (as on every start but the first), polled every 10 ms.
// bin/ runs the bundled build when it is current (see bin/README.md), else the sources: the
// table says which the backend ran.
// Run with `npm run bench:startup`.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../src/kube/client.ts';
import { installCRDs } from '../src/kube/crds.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { spawnBackend, stopChild } from './lib/backend-process.ts';
import { ascending, percentile } from './lib/percentile.ts';
import { followTo } from './lib/redirect.ts';
import { scratchDir } from './lib/scratch.ts';
import { tableRow, tableRule } from './lib/table.ts';
import { againstTarget } from './lib/target.ts';
import { until } from './lib/wait.ts';

const runs = Number(process.env['KBT_BENCH_RUNS'] ?? 10);
const repo = join(import.meta.dirname, '..');
const bin = (name: string) => join(repo, 'bin', name);

/** Start-up targets, seconds. */
const targets = { command: 0.25, backendReady: 2 };

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; the wall time in seconds and what it printed. */
async function timed(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number } & Exit> {
  const started = performance.now();
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { seconds: (performance.now() - started) / 1000, code, stdout, stderr };
}

/** `runs` timed runs after one warm-up; fails on a run that does not exit 0. */
async function repeat(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const r = await timed(file, args, env);
    if (r.code !== 0) {
      throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    }
    if (i > 0) times.push(r.seconds);
  }
  return ascending(times);
}

/** Seconds from spawning bin/backend until its /readyz answers 200. */
let form = 'unknown';

async function backendReady(kubeconfig: string): Promise<number> {
  const started = performance.now();
  const { origin, child } = await spawnBackend(kubeconfig);
  try {
    await until(
      'bin/backend ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`bin/backend exited ${child.exitCode}`);
        const res = await fetch(`${origin}/readyz`).catch(() => undefined);
        await res?.arrayBuffer();
        return res?.ok || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    const seconds = (performance.now() - started) / 1000;
    // Read once it answers: until then the pid may still be bin/backend's shell.
    form = formOf(child.pid);
    return seconds;
  } finally {
    await stopChild(child);
  }
}

/**
 * `kubectl bind login` as a user runs it with `--skip-browser`, the bench playing the browser:
 * the login ends stored in `home`'s ~/.kube-bind/config.
 */
async function login(origin: string, home: string): Promise<void> {
  const child = spawn(bin('kubectl-bind'), ['login', `${origin}/exports`, '--skip-browser'], {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const printed = await until('kubectl bind login to print its URL', () => {
    if (child.exitCode !== null) throw new Error(`login exited ${child.exitCode}: ${stderr}`);
    return /^ {2}(http:\/\/\S+)$/m.exec(stderr)?.[1];
  });
  const redirect = new URL(printed).searchParams.get('redirect_url') ?? '';
  const back = await followTo(printed, redirect);
  await (await fetch(back)).arrayBuffer();
  if ((await exited) !== 0) throw new Error(`kubectl bind login failed: ${stderr}`);
}

/** Which form bin/ ran for a process: its bundle in dist/ or its TypeScript sources. */
function formOf(pid: number | undefined): string {
  const argv = pid === undefined ? [] : readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv.some((a) => a.includes('/dist/')) ? 'the bundled build (dist/)' : 'the sources';
}

const dir = scratchDir('kbt-bench-startup-');
process.stderr.write('starting etcd + kube-apiserver…\n');
const cluster = await startKubeCluster({ name: 'bench', baseDir: dir, controllerManager: false });
const admin = new KubeClient(cluster.adminConnection(), { userAgent: 'bench-driver' });
try {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'bench' });
  process.stderr.write('timing --help…\n');
  const help = {
    bind: await repeat(bin('kubectl-bind'), ['--help']),
    konnector: await repeat(bin('konnector'), ['--help']),
    backend: await repeat(bin('backend'), ['--help']),
  };

  process.stderr.write('timing bin/backend until ready…\n');
  await backendReady(cluster.adminKubeconfigPath); // installs the CRDs, fills the compile cache
  const ready: number[] = [];
  for (let i = 0; i < Math.min(runs, 5); i++)
    ready.push(await backendReady(cluster.adminKubeconfigPath));

  process.stderr.write('logging in; timing kubectl bind templates…\n');
  const { origin, child } = await spawnBackend(cluster.adminKubeconfigPath);
  let templates: number[];
  try {
    await until(
      'bin/backend ready',
      async () => (await fetch(`${origin}/readyz`).catch(() => undefined))?.ok || undefined,
      { intervalMs: 50 },
    );
    await new ResourceClient(admin, kb.APIServiceExportTemplates).create({
      metadata: { name: 'cowboys' },
      spec: {
        scope: 'Namespaced',
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      },
    });
    const home = join(dir, 'home');
    await login(origin, home);
    const env = { ...process.env, HOME: home };
    // The cluster controller grants the embedded user the right to bind once it has run.
    await until(
      'kubectl bind templates to list cowboys',
      async () => {
        const r = await timed(bin('kubectl-bind'), ['templates'], env);
        return r.code === 0 && r.stdout.includes('cowboys') ? true : undefined;
      },
      { intervalMs: 500 },
    );
    templates = await repeat(bin('kubectl-bind'), ['templates'], env);
  } finally {
    await stopChild(child);
  }

  const columns = [{ width: 36 }, { width: 56 }, { width: 10 }];
  const row = (name: string, times: number[], target: number) =>
    tableRow(
      [
        name,
        againstTarget(percentile(times, 0.5), target, 's', 3),
        `${(times[times.length - 1] ?? NaN).toFixed(3)} s`,
      ],
      columns,
    );
  process.stdout.write(
    [
      '',
      `start-up benchmark: ${runs} runs each after a warm-up; bin/ ran ${form}`,
      tableRow(['program', 'median', 'slowest'], columns),
      tableRule(columns),
      row('kubectl bind --help', help.bind, targets.command),
      row('kubectl bind templates (real listing)', templates, targets.command),
      row('bin/konnector --help', help.konnector, targets.command),
      row('bin/backend --help', help.backend, targets.command),
      row('bin/backend until /readyz 200', ascending(ready), targets.backendReady),
      '',
    ].join('\n'),
  );
} finally {
  await admin.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
