// Where the memory goes: process.memoryUsage() of bin/backend and bin/konnector per
// phase, with a heap snapshot at the last phase grouped by constructor and by largest retainer
// (bench/memory-heapsnapshot.ts), beside the baseline of an empty Node and of the backend's and
// konnector's modules imported without running. The processes get bench/memory-probe.ts preloaded
// (NODE_OPTIONS=--import) and are sampled by SIGUSR2. RSS is read before each sample (writing a
// snapshot grows the process for good, hence only at the end).
// Usage: node bench/memory-breakdown.ts [baseline] [backend] [konnector]  (default: all three;
// KBT_BENCH_CONSUMERS="20,50" are the backend's steps, 5 export requests each;
// KBT_BENCH_OBJECTS=200 the konnector's cowboys; KBT_MEMORY_NODE_OPTIONS are further Node flags for
// the processes measured, e.g. --max-semi-space-size=1; KBT_MEMORY_V8_FLAGS are V8 flags Node
// refuses there, set by the probe as the process starts, memory-probe.ts).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cowboys, wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import * as kb from '../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../src/kube/client.ts';
import { installCRDs } from '../src/kube/crds.ts';
import { ResourceClient } from '../src/kube/resource.ts';
import { Namespaces } from '../src/kube/resources.ts';
import { startKubeCluster } from '../test/harness/kube-cluster.ts';
import { spawnBackend, stopChild, untilControllersRun } from './lib/backend-process.ts';
import { forEachBounded } from './lib/concurrency.ts';
import { rssMiB } from './lib/proc.ts';
import { scratchDir } from './lib/scratch.ts';
import { until } from './lib/wait.ts';
import { analyze, formatAnalysis } from './memory-heapsnapshot.ts';

const repo = join(import.meta.dirname, '..');
const node = process.execPath;
const mib = (b: number) => (b / 1048576).toFixed(1);
const parts = process.argv.slice(2);
const want = (part: string) => parts.length === 0 || parts.includes(part);
const dir = scratchDir('kbt-bench-memory-');
const out: string[] = [];
const print = (text: string) => {
  out.push(text);
  process.stderr.write(text + '\n');
};

/** RSS of a child Node running `args` once it has settled, MiB (median of 3). */
async function childRss(args: string[]): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const child = spawn(node, args, { cwd: repo, stdio: 'ignore' });
    await sleep(1500);
    runs.push(rssMiB(pidOf(child.pid)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  return runs.sort((a, b) => a - b)[1] ?? 0;
}

function pidOf(pid: number | undefined): number {
  if (pid === undefined) throw new Error('the process did not start');
  return pid;
}

interface Sample {
  label: string;
  rss: number;
  maps: Maps;
  usage: NodeJS.MemoryUsage;
  snapshot?: string;
}

/**
 * Resident memory by mapping (/proc/<pid>/smaps), MiB: the node executable's code (text) and
 * read-only data (rodata: V8's snapshot and builtins, ICU data), other files (shared
 * libraries), and anonymous memory (V8's heap, malloc arenas, stacks). File pages are shared and
 * clean, yet count in VmRSS: what a program's code paths and ICU use touch stays resident.
 */
interface Maps {
  text: number;
  rodata: number;
  files: number;
  anon: number;
}

function mapsMiB(pid: number): Maps {
  const maps: Maps = { text: 0, rodata: 0, files: 0, anon: 0 };
  let part: keyof Maps = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const [, perms = '', path = ''] = head;
      if (path === '' || path.startsWith('[')) part = 'anon';
      else if (path === node) part = perms.includes('x') ? 'text' : 'rodata';
      else part = 'files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) maps[part] += Number(rss[1]) / 1024;
  }
  return maps;
}

/**
 * Signals the probe in `pid` and waits for its files; with a heap snapshot when `snapshot` (the
 * last sample only: writing one grows the process's RSS for good).
 */
async function sample(pid: number, label: string, snapshot = false): Promise<Sample> {
  const rss = rssMiB(pid);
  const maps = mapsMiB(pid);
  const before = n.get(pid) ?? 0;
  n.set(pid, before + 1);
  if (snapshot) writeFileSync(join(dir, 'snapshot'), '');
  else rmSync(join(dir, 'snapshot'), { force: true });
  process.kill(pid, 'SIGUSR2');
  const base = join(dir, `${pid}-${before}`);
  await until(`${label}: the probe's sample`, () => existsSync(`${base}.done`) || undefined, {
    timeoutMs: 120_000,
  });
  const { usage } = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
    usage: NodeJS.MemoryUsage;
  };
  const s: Sample = { label, rss, maps, usage };
  if (snapshot && existsSync(`${base}.heapsnapshot`)) s.snapshot = `${base}.heapsnapshot`;
  return s;
}
const n = new Map<number, number>();

function table(title: string, samples: Sample[]): void {
  print(`\n${title}`);
  print(
    `  ${'phase'.padEnd(28)} ${'rss'.padStart(7)} ${'heapTot'.padStart(7)} ${'heapUsed'.padStart(8)} ${'external'.padStart(8)} ${'arrayBuf'.padStart(8)} ${'other'.padStart(7)}  (MiB; other = rss − heapTotal − external)`,
  );
  for (const s of samples) {
    const u = s.usage;
    print(
      `  ${s.label.padEnd(28)} ${s.rss.toFixed(1).padStart(7)} ${mib(u.heapTotal).padStart(7)} ${mib(u.heapUsed).padStart(8)} ${mib(u.external).padStart(8)} ${mib(u.arrayBuffers).padStart(8)} ${(s.rss - (u.heapTotal + u.external) / 1048576).toFixed(1).padStart(7)}`,
    );
  }
  print(
    `  ${'resident by mapping'.padEnd(28)} ${'text'.padStart(7)} ${'rodata'.padStart(7)} ${'files'.padStart(8)} ${'anon'.padStart(8)}  (MiB; text, rodata: the node executable's)`,
  );
  for (const { label, maps: m } of samples) {
    print(
      `  ${label.padEnd(28)} ${m.text.toFixed(1).padStart(7)} ${m.rodata.toFixed(1).padStart(7)} ${m.files.toFixed(1).padStart(8)} ${m.anon.toFixed(1).padStart(8)}`,
    );
  }
  for (const s of samples) {
    if (!s.snapshot) continue;
    print(`\n${title}, ${s.label}:`);
    print(formatAnalysis(analyze(s.snapshot, 15)));
  }
}

const probeEnv = () => {
  const extra = process.env['KBT_MEMORY_NODE_OPTIONS'] ?? '';
  process.env['NODE_OPTIONS'] = `--import=${join(repo, 'bench/memory-probe.ts')} ${extra}`;
  process.env['KBT_MEMORY_DIR'] = dir;
};

async function baseline(): Promise<void> {
  const empty = await childRss(['-e', 'setInterval(() => {}, 1e6)']);
  const imports = async (modules: string[]) =>
    childRss([
      '--input-type=module',
      '-e',
      `${modules.map((m) => `await import(${JSON.stringify(join(repo, m))});`).join(' ')} setInterval(() => {}, 1e6);`,
    ]);
  const backend = await imports(['src/backend/app/app.ts', 'src/backend/options/options.ts']);
  const konnector = await imports(['src/konnector/app/app.ts', 'src/konnector/options/options.ts']);
  print('\nbaseline RSS (median of 3, MiB)');
  print(`  empty node (setInterval)              ${empty.toFixed(1)}`);
  print(`  backend modules imported, not run     ${backend.toFixed(1)}`);
  print(`  konnector modules imported, not run   ${konnector.toFixed(1)}`);
}

async function backend(): Promise<void> {
  const steps = (process.env['KBT_BENCH_CONSUMERS'] ?? '20,50').split(',').map(Number);
  const perConsumer = 5;
  const cluster = await startKubeCluster({
    name: 'memory',
    baseDir: dir,
    controllerManager: false,
  });
  const admin = new KubeClient(cluster.adminConnection(), { userAgent: 'bench-driver' });
  try {
    await installCRDs(admin, [...kubeBindCRDs(), ...wildwestCRDs()], { fieldManager: 'bench' });
    const max = Math.max(...steps);
    const namespaces = new ResourceClient(admin, Namespaces);
    await forEachBounded(max, 16, async (i) => {
      await namespaces.create({ metadata: { name: `cluster-bench-${i}` } });
    });
    probeEnv();
    const { child } = await spawnBackend(cluster.adminKubeconfigPath);
    delete process.env['NODE_OPTIONS'];
    const pid = pidOf(child.pid);
    await untilControllersRun(admin);
    await sleep(3000);
    const samples = [await sample(pid, 'idle')];
    const requests = new ResourceClient(admin, kb.APIServiceExportRequests);
    let done = 0;
    for (const consumers of steps) {
      const total = consumers * perConsumer;
      await forEachBounded(total - done, 16, async (j) => {
        const i = done + j;
        await new ResourceClient(
          admin,
          kb.APIServiceExportRequests,
          `cluster-bench-${Math.floor(i / perConsumer)}`,
        ).create({
          metadata: { name: `r${i % perConsumer}` },
          spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
        });
      });
      done = total;
      await until(
        `${total} requests Succeeded`,
        async () =>
          (await requests.listAll()).items.filter((r) => r.status?.phase === 'Succeeded').length ===
            total || undefined,
        { timeoutMs: Infinity, intervalMs: 500 },
      );
      await sleep(5000);
      samples.push(
        await sample(pid, `${consumers} consumers, ${total} exports`, consumers === steps.at(-1)),
      );
    }
    await stopChild(child);
    table('backend (bin/backend, embedded OIDC)', samples);
  } finally {
    await admin.close();
    await cluster.stop();
  }
}

async function konnector(): Promise<void> {
  const objects = Number(process.env['KBT_BENCH_OBJECTS'] ?? 200);
  const { startBackend, startKonnector, startSide, stopSide, konnectorQuiet } =
    await import('./konnector/cluster.ts');
  const { bindOnConsumer, exportCowboys, offerCowboys, provisionConsumer, waitUntilBound, warmUp } =
    await import('./konnector/provision.ts');
  const { consumerNamespace } = await import('./konnector/config.ts');
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const provider = await startSide('provider', dir);
    cleanups.push(() => stopSide(provider));
    const consumer = await startSide('consumer', dir);
    cleanups.push(() => stopSide(consumer));
    await installCRDs(provider.admin, [...kubeBindCRDs(), ...wildwestCRDs()], {
      fieldManager: 'bench',
    });
    const backendServer = await startBackend(provider, dir);
    cleanups.push(() => backendServer.proc.stop());
    await offerCowboys(provider);
    const contract = await provisionConsumer(provider);
    await exportCowboys(contract.kubeconfig, contract.namespace);
    probeEnv();
    const k = await startKonnector(consumer, dir);
    delete process.env['NODE_OPTIONS'];
    cleanups.push(() => k.proc.stop());
    await bindOnConsumer(consumer, contract.kubeconfig);
    await waitUntilBound(consumer);
    const providerNamespace = await warmUp(provider, consumer, contract.namespace);
    await konnectorQuiet(k);
    await sleep(3000);
    const pid = pidOf(k.proc.pid);
    const samples = [await sample(pid, 'idle (bound, 1 synced)')];
    const cowboys = new ResourceClient(consumer.admin, Cowboys, consumerNamespace);
    await forEachBounded(objects, 16, async (i) => {
      await cowboys.create({
        metadata: { name: `mem-${i}` },
        spec: { intent: 'ride', horse: 'silver' },
      });
    });
    const copies = new ResourceClient(provider.admin, Cowboys, providerNamespace);
    await until(
      `${objects} cowboys on the provider`,
      async () => (await copies.listAll()).items.length >= objects + 1 || undefined,
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    await konnectorQuiet(k);
    await sleep(3000);
    samples.push(await sample(pid, `after ${objects} synced`, true));
    table('konnector (bin/konnector)', samples);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

try {
  if (want('baseline')) await baseline();
  if (want('backend')) await backend();
  if (want('konnector')) await konnector();
  process.stdout.write(out.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
