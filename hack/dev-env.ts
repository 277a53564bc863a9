// The local development environment: a provider Kubernetes cluster, kcp and dex, with the
// example APIs loaded and the backend serving on a loopback port with the embedded development
// issuer, and a consumer Kubernetes cluster with bin/konnector, running until Ctrl-C.
//   node hack/dev-env.ts [--components kube,kcp,dex] [--once]
// --once starts everything, prints how to reach it, and stops again (used by the tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane, type SharedControlPlane } from '../test/harness/control-plane.ts';
import { startKubeCluster, type KubeCluster } from '../test/harness/kube-cluster.ts';
import { freePort } from '../test/harness/ports.ts';
import { repoRoot } from '../test/harness/tools.ts';
import { seed } from './dev/seed.ts';

const { values } = parseArgs({
  options: {
    components: { type: 'string' },
    once: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: hack/dev.sh [--components kube,kcp,dex] [--once]');
  process.exit(0);
}
if (values.components !== undefined) process.env['KBT_TEST_COMPONENTS'] = values.components;

const devDir = join(repoRoot, '.dev');
mkdirSync(devDir, { recursive: true });
console.log('Starting the local environment (first start after a build takes ~30s) ...');
// This command stops gracefully on its own signal handlers below.
const plane = await startControlPlane({ name: 'dev', cleanupOnSignals: false });

let stopping = false;
// Set once the servers are up; stop() may run before that.
const running: { backend?: ChildProcess; konnector?: ChildProcess; consumer?: KubeCluster } = {};
const stop = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping ...');
    for (const child of [running.konnector, running.backend]) {
      if (child?.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await running.consumer?.stop();
    await plane.stop();
  }
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const seeded = await seed(plane.shared).catch(async (err: unknown) => {
  console.error('Could not load the APIs into the environment:', err);
  return stop(1);
});
const backendUrl = `http://127.0.0.1:${await preferredPort()}`;
running.backend = startBackend(plane.shared, backendUrl);
await waitForBackend(backendUrl, running.backend).catch(async (err: unknown) => {
  console.error(`The backend did not start (see .dev/backend.log): ${String(err)}`);
  return stop(1);
});
running.consumer = await startKubeCluster({ name: 'consumer', baseDir: plane.shared.runDir });
const consumerKubeconfig = join(devDir, 'consumer.kubeconfig');
copyFileSync(running.consumer.adminKubeconfigPath, consumerKubeconfig);
running.konnector = startKonnector(consumerKubeconfig, await freePort());
console.log(describe(plane.shared, seeded, backendUrl));
if (values.once) await stop(0);
else console.log('Press Ctrl-C to stop.');

/** 8080 as upstream's default when it is free, else any free port. */
async function preferredPort(): Promise<number> {
  const taken = await fetch('http://127.0.0.1:8080/').then(
    () => true,
    () => false,
  );
  return taken ? freePort() : 8080;
}

/**
 * bin/backend against the provider cluster with the embedded development issuer, logging to
 * .dev/backend.log. Leader election is off: one replica, and no Lease to wait for on restarts.
 */
function startBackend(shared: SharedControlPlane, url: string): ChildProcess {
  const log = openSync(join(devDir, 'backend.log'), 'w');
  return spawn(
    // bin/, not the source: the bundle when current (hack/build.ts), as tests and users run it.
    join(repoRoot, 'bin/backend'),
    [
      '--kubeconfig',
      shared.kube.kubeconfigPath,
      '--leader-elect=false',
      `--listen-address=${new URL(url).host}`,
      '--oidc-type=embedded',
      `--oidc-issuer-url=${url}/oidc`,
      `--oidc-callback-url=${url}/api/callback`,
    ],
    { stdio: ['ignore', log, log] },
  );
}

/** bin/konnector against the consumer cluster, logging to .dev/konnector.log (one replica). */
function startKonnector(kubeconfig: string, port: number): ChildProcess {
  const log = openSync(join(devDir, 'konnector.log'), 'w');
  return spawn(
    // bin/, not the source: the bundle when current (hack/build.ts), as tests and users run it.
    join(repoRoot, 'bin/konnector'),
    [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', `--server-address=127.0.0.1:${port}`],
    { stdio: ['ignore', log, log] },
  );
}

async function waitForBackend(url: string, backend: ChildProcess): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (backend.exitCode !== null) throw new Error(`exited with code ${backend.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('not ready after 60 s');
}

function describe(shared: SharedControlPlane, seeded: readonly string[], url: string): string {
  const rel = (p: string): string => relative(process.cwd(), p) || p;
  const lines = ['', 'kube-bind-ts local environment is up.', ''];
  const provider = join(devDir, 'provider.kubeconfig');
  copyFileSync(shared.kube.kubeconfigPath, provider);
  lines.push(
    'Provider cluster (kube-apiserver + etcd + kube-controller-manager)',
    `  kubeconfig: ${rel(provider)}`,
    `  try:        kubectl --kubeconfig ${rel(provider)} get namespaces`,
  );
  if (shared.kcp) {
    const kcp = join(devDir, 'kcp.kubeconfig');
    copyFileSync(shared.kcp.kubeconfigPath, kcp);
    lines.push(
      '',
      'kcp',
      `  kubeconfig: ${rel(kcp)}`,
      `  try:        kubectl --kubeconfig ${rel(kcp)} get workspaces`,
    );
  }
  if (shared.dex) {
    const dexFile = join(devDir, 'dex.json');
    writeFileSync(dexFile, JSON.stringify(shared.dex, null, 2));
    lines.push(
      '',
      'dex (OIDC provider)',
      `  issuer:     ${shared.dex.issuer}`,
      `  client:     ${shared.dex.clientId} (secret in ${rel(dexFile)})`,
    );
  }
  lines.push('', 'Loaded', ...seeded.map((line) => `  ${line}`));
  lines.push(
    '',
    'Backend (bin/backend, default provider, embedded development login: NOT for production)',
    `  web UI:     ${url}/`,
    `  log:        ${rel(join(devDir, 'backend.log'))}`,
    '',
    'Consumer cluster (kube-apiserver + etcd + kube-controller-manager) with bin/konnector',
    `  kubeconfig: ${rel(join(devDir, 'consumer.kubeconfig'))}`,
    `  konnector:  ${rel(join(devDir, 'konnector.log'))}`,
    '',
    'Bind an API from a consumer cluster with:',
    `  kubectl bind ${url}/exports`,
    'e.g. into the consumer cluster above (its konnector already runs, hence --skip-konnector):',
    `  PATH=$PWD/bin:$PATH KUBECONFIG=${rel(join(devDir, 'consumer.kubeconfig'))} kubectl bind ${url}/exports --skip-konnector`,
  );
  lines.push('', `Server logs: ${shared.runDir}`, '');
  return lines.join('\n');
}
