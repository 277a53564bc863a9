// kcp on loopback (`kcp start` with its embedded etcd), its admin kubeconfig written by kcp itself
// into the root directory. kcp runs its own namespace, garbage-collector and token controllers.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { freePort } from './ports.ts';
import { ManagedProcess, stopAll, waitUntilReady } from './process.ts';
import { isReady } from './kube-cluster.ts';
import { toolPath } from './tools.ts';

export interface KcpOptions {
  name?: string;
  baseDir: string;
}

export interface Kcp {
  readonly server: string;
  readonly adminKubeconfigPath: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startKcp(opts: KcpOptions): Promise<Kcp> {
  const name = opts.name ?? 'kcp';
  const dir = join(opts.baseDir, name);
  const rootDir = join(dir, 'root');
  const logDir = join(dir, 'logs');
  mkdirSync(rootDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const [port, etcdClient, etcdPeer] = [await freePort(), await freePort(), await freePort()];
  const proc = new ManagedProcess({
    name,
    command: toolPath('kcp'),
    logDir,
    cwd: dir,
    args: [
      'start',
      `--root-directory=${rootDir}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--shard-external-url=https://127.0.0.1:${port}`,
      `--embedded-etcd-client-port=${etcdClient}`,
      `--embedded-etcd-peer-port=${etcdPeer}`,
      '--v=1',
    ],
  });
  const adminKubeconfigPath = join(rootDir, 'admin.kubeconfig');
  try {
    await waitUntilReady(
      proc,
      'ready',
      async () => existsSync(adminKubeconfigPath) && (await adminReady(adminKubeconfigPath)),
      { timeoutMs: 180_000, intervalMs: 500 },
    );
  } catch (err) {
    await stopAll([proc]);
    throw err;
  }
  return {
    server: `https://127.0.0.1:${port}`,
    adminKubeconfigPath,
    process: proc,
    stop: () => stopAll([proc]),
  };
}

async function adminReady(kubeconfigPath: string): Promise<boolean> {
  const conn = await connectionFromKubeconfig({ file: kubeconfigPath });
  // /readyz lives at the server root, not under the workspace path of the current context.
  return isReady({ ...conn, server: new URL(conn.server).origin });
}
