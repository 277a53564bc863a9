// Everything a test run (or a developer's `npm run dev`) needs running, started in parallel in a
// fresh run directory: the provider cluster, kcp and dex. Each part can be replaced by an existing
// server through the environment (see ../README.md). stop() tears all down and removes the run
// directory, keeping the logs under test-artifacts/ when asked.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDex, type Dex } from './dex.ts';
import { startKcp, type Kcp } from './kcp.ts';
import { startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import { withFreshPorts } from './ports.ts';
import { killAllNow } from './process.ts';
import { artifactsDir } from './run-state.ts';

/** What the tests receive (serialisable: it crosses from the main process to the workers). */
export interface SharedControlPlane {
  runDir: string;
  kube: SharedKube;
  /** Absent when KBT_TEST_COMPONENTS leaves kcp out of this run. */
  kcp?: SharedKcp;
  dex?: SharedDex;
}

export type Component = 'kube' | 'kcp' | 'dex';
const allComponents: readonly Component[] = ['kube', 'kcp', 'dex'];

/** KBT_TEST_COMPONENTS=kube,dex starts only those (for quick local runs); CI starts all. */
export function wantedComponents(env = process.env): ReadonlySet<Component> {
  const raw = env['KBT_TEST_COMPONENTS'];
  if (!raw) return new Set(allComponents);
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((c) => !allComponents.includes(c as Component));
  if (unknown.length > 0) {
    throw new Error(
      `KBT_TEST_COMPONENTS: unknown component(s) ${unknown.join(', ')}; known: ${allComponents.join(', ')}`,
    );
  }
  return new Set(wanted as Component[]);
}

export interface SharedKube {
  name: string;
  kubeconfigPath: string;
  /** Present when the harness started the cluster: lets tests mint client certificates. */
  ca?: { certPem: string; keyPem: string };
  etcdEndpoint?: string;
  /** False for an existing cluster given through KBT_TEST_KUBECONFIG. */
  managed: boolean;
}

export interface SharedKcp {
  kubeconfigPath: string;
  managed: boolean;
}

export interface SharedDex {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectURI: string;
}

export interface ControlPlane {
  shared: SharedControlPlane;
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Prefix of the run directory name. */
  name: string;
  /** Parent of the run directory (default: the OS temp dir). */
  baseDir?: string;
  /**
   * On SIGINT/SIGTERM, kill the servers and remove the run directory at once (default true).
   * A caller with its own graceful signal handling (the dev command) turns this off.
   */
  cleanupOnSignals?: boolean;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const parent = opts.baseDir ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const runDir = mkdtempSync(join(parent, `kbt-${opts.name}-`));
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(p: Promise<T>): Promise<T> =>
    p.then((v) => (started.push(v), v));

  const removeRunDir = (): void => {
    rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  };
  // Ctrl-C or a kill may end this process without stop() (vitest, for one, exits on SIGINT
  // without tearing its global setup down): leave no servers and no run directory behind.
  const emergencyCleanup = (): void => {
    killAllNow();
    removeRunDir();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    emergencyCleanup();
    // Without other listeners Node would not terminate on the signal any more: re-raise it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once('exit', emergencyCleanup);
  if (opts.cleanupOnSignals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  const stop = async ({ keepLogs = false } = {}): Promise<void> => {
    process.off('exit', emergencyCleanup);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.allSettled(started.map((s) => s.stop()));
    if (keepLogs) keepLogsOf(runDir);
    removeRunDir();
  };

  try {
    const wanted = wantedComponents();
    const [kube, kcp, dex] = await Promise.all([
      sharedKube(runDir, track),
      wanted.has('kcp') ? sharedKcp(runDir, track) : undefined,
      wanted.has('dex')
        ? track(withFreshPorts(() => startDex({ baseDir: runDir }))).then(sharedDexOf)
        : undefined,
    ]);
    const shared: SharedControlPlane = { runDir, kube };
    if (kcp) shared.kcp = kcp;
    if (dex) shared.dex = dex;
    return { shared, stop };
  } catch (err) {
    // Whatever did start is stopped; its logs explain the failure, so keep them.
    await stop({ keepLogs: true });
    throw err;
  }
}

type Track = <T extends { stop(): Promise<void> }>(p: Promise<T>) => Promise<T>;

async function sharedKube(runDir: string, track: Track): Promise<SharedKube> {
  const existing = process.env['KBT_TEST_KUBECONFIG'];
  if (existing) return { name: 'existing', kubeconfigPath: existing, managed: false };
  const cluster: KubeCluster = await track(startKubeCluster({ name: 'provider', baseDir: runDir }));
  return {
    name: cluster.name,
    kubeconfigPath: cluster.adminKubeconfigPath,
    ca: cluster.ca,
    etcdEndpoint: cluster.etcdEndpoint,
    managed: true,
  };
}

async function sharedKcp(runDir: string, track: Track): Promise<SharedKcp> {
  const existing = process.env['KBT_TEST_KCP_KUBECONFIG'];
  if (existing) return { kubeconfigPath: existing, managed: false };
  const kcp: Kcp = await track(withFreshPorts(() => startKcp({ baseDir: runDir })));
  return { kubeconfigPath: kcp.adminKubeconfigPath, managed: true };
}

function sharedDexOf(dex: Dex): SharedDex {
  const client = dex.clients[0];
  if (!client) throw new Error('dex started without a client');
  const redirectURI = client.redirectURIs[0];
  if (!redirectURI) throw new Error('dex client has no redirect URI');
  return { issuer: dex.issuer, clientId: client.id, clientSecret: client.secret, redirectURI };
}

function keepLogsOf(runDir: string): void {
  if (!existsSync(runDir)) return;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = join(artifactsDir(), `logs-${stamp}`);
  // Only logs and configs: data directories (etcd, kcp) are large and say little.
  cpSync(runDir, dest, {
    recursive: true,
    filter: (src) => !/\/(etcd|\.etcd|etcd-server)(\/|$)/.test(src.slice(runDir.length)),
  });
  process.stderr.write(`kube-bind-ts: kept server logs in ${dest}\n`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: SharedControlPlane;
  }
}
