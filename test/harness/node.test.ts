// Real nodes: a pods cluster with two kubelet+containerd nodes on this machine runs a Deployment
// across both, every pod is rewritten onto the host network with the loopback apiserver, and
// stopping the nodes leaves no process, mount, file, cgroup or changed sysctl behind.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { controlPlane, eventually } from './context.ts';
import { startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import { cgroupPids, hostStateDir, kubeletSysctls } from './node-host.ts';
import { startNode, type TestNode } from './node.ts';
import { pauseImage } from './pause-image.ts';

interface Pod {
  metadata: { name: string };
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers: { name: string; env?: { name: string; value?: string }[] }[];
  };
  status?: { phase?: string; podIP?: string };
}

/** Running, that is: a zombie waiting for the machine's init to reap it does not count. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** kubelet's links in /var/log/containers into `dir` (other test files' nodes have theirs). */
function podLogLinks(dir: string): string[] {
  const links = existsSync('/var/log/containers') ? readdirSync('/var/log/containers') : [];
  return links.filter((l) => {
    try {
      return readlinkSync(join('/var/log/containers', l)).startsWith(dir);
    } catch {
      return false; // removed meanwhile by another node's cleanup
    }
  });
}

/**
 * Where the shims' sockets of a node's tasks would be in /run/containerd/s (shims killed by SIGKILL
 * leave them), named as containerd 1.6 names them: sha256 of <containerd socket>/<ns>/<task id>.
 */
function shimSockets(node: TestNode): string[] {
  const tasks = join(node.stateDir, 'containerd/state/io.containerd.runtime.v2.task/k8s.io');
  const socket = join(node.stateDir, 'containerd.sock');
  return readdirSync(tasks).map(
    (id) =>
      `/run/containerd/s/${createHash('sha256').update(`${socket}/k8s.io/${id}`).digest('hex')}`,
  );
}

const sysctls = (): Record<string, string> =>
  Object.fromEntries(kubeletSysctls.map((k) => [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()]));

/** The sysctls as they were before the first test node on this machine started. */
function savedSysctls(): Record<string, string> {
  const lines = readFileSync(join(hostStateDir, 'sysctl.saved'), 'utf8').trim().split('\n');
  return Object.fromEntries(lines.map((l) => l.split(' ') as [string, string]));
}

const log = (what: string, ms: number): void => {
  console.log(`[nodes] ${what}: ${(ms / 1000).toFixed(1)} s`);
};

describe('test nodes', () => {
  it('run a Deployment on two nodes and leave nothing behind', async () => {
    const dir = mkdtempSync(join(controlPlane().runDir, 'nodes-'));
    const t0 = Date.now();
    let cluster: KubeCluster | undefined;
    let nodes: TestNode[] = [];
    try {
      const pause = await pauseImage();
      cluster = await startKubeCluster({ name: 'pods', baseDir: dir, pods: true });
      log('pods cluster (apiserver, kcm, scheduler, policy)', Date.now() - t0);
      const c = cluster;
      nodes = await Promise.all(
        ['node-a', 'node-b'].map((name) => startNode({ cluster: c, name, baseDir: dir })),
      );
      log('cold pods cluster until two nodes Ready', Date.now() - t0);
      for (const n of nodes) log(`${n.name} Ready after kubelet start`, n.readyAfterMs);
      expect(new Set(nodes.map((n) => n.ip)).size).toBe(2);
      // kubelet changed the host (hence the restore below).
      expect(sysctls()['vm/overcommit_memory']).toBe('1');
      const original = savedSysctls();

      const admin = new KubeClient(cluster.adminConnection());
      try {
        const created = Date.now();
        await admin.create('/apis/apps/v1/namespaces/default/deployments', deployment(pause.ref));
        // A production-style pod (no hostNetwork of its own) reaches the apiserver the way
        // in-cluster clients do: through KUBERNETES_SERVICE_HOST/PORT.
        await admin.create('/api/v1/namespaces/default/pods', {
          metadata: { name: 'dial' },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'dial',
                image: pause.ref,
                imagePullPolicy: 'Never',
                args: ['--dial-kubernetes'],
              },
            ],
          },
        });
        const pods = await eventually('two pause pods Running', async () => {
          const list = await admin.get<{ items: Pod[] }>('/api/v1/namespaces/default/pods', {
            labelSelector: 'app=pause',
          });
          const running = list.items.filter((p) => p.status?.phase === 'Running');
          return running.length === 2 ? running : undefined;
        });
        log('Deployment created until both pods Running', Date.now() - created);
        await eventually('the dial pod to succeed', async () => {
          const pod = await admin.get<Pod>('/api/v1/namespaces/default/pods/dial');
          if (pod.status?.phase === 'Failed') throw new Error('dial pod failed');
          return pod.status?.phase === 'Succeeded' ? true : undefined;
        });

        expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['node-a', 'node-b']);
        const port = new URL(cluster.server).port;
        for (const pod of pods) {
          const node = nodes.find((n) => n.name === pod.spec.nodeName);
          expect(pod.spec.hostNetwork).toBe(true);
          expect(pod.status?.podIP).toBe(node?.ip);
          expect(pod.spec.containers[0]?.env).toEqual(
            expect.arrayContaining([
              { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
              { name: 'KUBERNETES_SERVICE_PORT', value: port },
            ]),
          );
        }
      } finally {
        await admin.close();
      }

      await crashedNodeLeavesNothing(cluster, dir, pause.ref);

      const pids = nodes.flatMap((n) => n.pids());
      const names = new Set(pids.map(processName));
      for (const name of ['kubelet', 'containerd', 'containerd-shim', 'pause']) {
        expect(names).toContain(name);
      }
      expect(podLogLinks(dir).length).toBeGreaterThanOrEqual(2);
      // One shim per pod (its containers share the sandbox's shim): two pods, two sockets.
      const sockets = nodes.flatMap(shimSockets).filter((s) => existsSync(s));
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      const stopped = Date.now();
      await Promise.all(nodes.map((n) => n.stop()));
      log('two nodes stopped', Date.now() - stopped);

      expect(pids.filter(alive)).toEqual([]);
      for (const n of nodes) {
        expect(existsSync(n.stateDir)).toBe(false);
        expect(existsSync(`/sys/fs/cgroup/pids/${n.cgroup}`)).toBe(false);
      }
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
      expect(mounts).not.toContain(dir);
      expect(podLogLinks(dir)).toEqual([]);
      expect(sockets.filter((s) => existsSync(s))).toEqual([]);
      // Other test files' nodes may still hold the sysctls; the last node out restores them.
      if (readdirSync(join(hostStateDir, 'nodes')).length === 0)
        expect(sysctls()).toEqual(original);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cost nothing extra in a cluster without pods', async () => {
    const dir = mkdtempSync(join(controlPlane().runDir, 'plain-'));
    const t0 = Date.now();
    const cluster = await startKubeCluster({ name: 'plain', baseDir: dir });
    try {
      log('cluster without pods', Date.now() - t0);
      expect(cluster.pods).toBe(false);
      expect(cluster.processes.map((p) => p.name)).toEqual([
        'plain-etcd',
        'plain-kube-apiserver',
        'plain-kube-controller-manager',
      ]);
    } finally {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A node whose test process dies by SIGKILL (no stop(), no exit handlers): kubelet and containerd
 * die with it (parent-death signal), the reaper kills the shims and containers and removes the
 * rest within seconds.
 */
async function crashedNodeLeavesNothing(
  cluster: KubeCluster,
  dir: string,
  image: string,
): Promise<void> {
  const script = `
    import { startNode } from ${JSON.stringify(new URL('./node.ts', import.meta.url).href)};
    const spec = JSON.parse(process.env.KBT_NODE_SPEC);
    const cluster = { ...spec.cluster, pods: true, adminConnection: () => spec.conn };
    const node = await startNode({ cluster, name: 'node-crash', baseDir: spec.dir });
    console.log(JSON.stringify({ stateDir: node.stateDir, cgroup: node.cgroup }));
    setInterval(() => {}, 1000);
  `;
  const { name, server, ca } = cluster;
  const spec = { cluster: { name, server, ca }, conn: cluster.adminConnection(), dir };
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, KBT_NODE_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const started = await new Promise<{ stateDir: string; cgroup: string }>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => {
        resolve(JSON.parse(chunk.toString()) as { stateDir: string; cgroup: string });
      });
      child.once('exit', () => {
        reject(new Error('the node process exited before its node was Ready'));
      });
    });
    const admin = new KubeClient(cluster.adminConnection());
    try {
      await admin.create('/api/v1/namespaces/default/pods', {
        metadata: { name: 'on-crashing-node' },
        spec: {
          nodeName: 'node-crash',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'pause', image, imagePullPolicy: 'Never' }],
        },
      });
      await eventually('the pod on node-crash Running', async () => {
        const pod = await admin.get<Pod>('/api/v1/namespaces/default/pods/on-crashing-node');
        return pod.status?.phase === 'Running' ? true : undefined;
      });
    } finally {
      await admin.close();
    }
    const pids = cgroupPids(started.cgroup);
    expect(new Set(pids.map(processName))).toContain('containerd-shim');
    child.kill('SIGKILL');
    const killed = Date.now();
    await eventually(
      'the crashed node to be gone',
      () =>
        pids.filter(alive).length === 0 &&
        !existsSync(started.stateDir) &&
        !existsSync(`/sys/fs/cgroup/pids/${started.cgroup}`)
          ? true
          : undefined,
      { timeoutMs: 15_000 },
    );
    log('crashed node cleaned up after SIGKILL', Date.now() - killed);
  } finally {
    child.kill('SIGKILL');
  }
}

function deployment(image: string): unknown {
  const labels = { app: 'pause' };
  return {
    metadata: { name: 'pause', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // One per node, to show both nodes run pods.
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'pause', image, imagePullPolicy: 'Never' }],
        },
      },
    },
  };
}
