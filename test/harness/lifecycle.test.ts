// The harness itself: a second, independent cluster starts beside the shared one, and nothing it
// started outlives it — not after stop(), and not after its parent is killed with SIGKILL.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { NotFoundError } from '../../src/kube/errors.ts';
import { controlPlane, eventually, kubeAdmin, uniqueSuffix } from './context.ts';
import { startKubeCluster } from './kube-cluster.ts';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test harness', () => {
  it('runs a second, independent cluster side by side and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(controlPlane().runDir, 'side-'));
    const consumer = await startKubeCluster({ name: 'consumer', baseDir: dir });
    const pids = consumer.processes.map((p) => p.pid);
    try {
      const provider = await kubeAdmin();
      const other = new KubeClient(consumer.adminConnection());
      try {
        expect(consumer.server).not.toBe(provider.server.origin);
        const name = `only-on-consumer-${uniqueSuffix()}`;
        await other.create('/api/v1/namespaces', { metadata: { name } });
        await expect(provider.get(`/api/v1/namespaces/${name}`)).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(await other.get(`/api/v1/namespaces/${name}`)).toMatchObject({ metadata: { name } });
      } finally {
        await other.close();
      }
      expect(pids.every(alive)).toBe(true);
    } finally {
      await consumer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(pids.filter(alive)).toEqual([]);
    await expect(fetch(`${consumer.etcdEndpoint}/health`)).rejects.toThrow();
    expect(existsSync(dir)).toBe(false);
  });

  it('removes its servers and run directory on Ctrl-C (SIGINT)', async () => {
    const script = `
      import { startControlPlane } from ${JSON.stringify(new URL('./control-plane.ts', import.meta.url).href)};
      const plane = await startControlPlane({ name: 'sigint', baseDir: ${JSON.stringify(controlPlane().runDir)} });
      console.log(plane.shared.runDir);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, KBT_TEST_COMPONENTS: 'kube' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.once('exit', (_code, signal) => {
        resolve(signal);
      });
    });
    const runDir = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => {
        resolve(chunk.toString().trim());
      });
      void exited.then(() => {
        reject(new Error('the control plane process exited before it was up'));
      });
    });
    const serversOf = (): number[] =>
      execFileSync('pgrep', ['-f', runDir], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    expect(existsSync(runDir)).toBe(true);
    expect(serversOf().length).toBeGreaterThanOrEqual(3); // etcd, kube-apiserver, kube-controller-manager

    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(existsSync(runDir)).toBe(false);
    await eventually('the servers to be gone', () => {
      try {
        return Promise.resolve(serversOf().length === 0 ? true : undefined);
      } catch {
        return Promise.resolve(true); // pgrep exits 1 when nothing matches
      }
    });
  });

  it('kills its servers when the process that started them dies by SIGKILL', async () => {
    // A separate Node process starts a long-running child through the harness, reports its pid,
    // and is then killed without any chance to clean up.
    const script = `
      import { ManagedProcess } from ${JSON.stringify(new URL('./process.ts', import.meta.url).href)};
      const p = new ManagedProcess({ name: 'sleeper', command: 'sleep', args: ['300'], logDir: ${JSON.stringify(controlPlane().runDir)} });
      setTimeout(() => console.log(p.pid), 200);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const sleeperPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (chunk: Buffer) => {
        resolve(Number(chunk.toString().trim()));
      });
      parent.once('exit', (code) => {
        reject(new Error(`parent exited early with ${String(code)}`));
      });
    });
    expect(alive(sleeperPid)).toBe(true);
    parent.kill('SIGKILL');
    await eventually(
      'the orphaned server to be killed',
      () => Promise.resolve(alive(sleeperPid) ? undefined : true),
      {
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
  });
});
