// Real nodes: a pods cluster with two kubelet+containerd nodes on this machine runs a Deployment
// across both, every pod is rewritten onto the host network with the loopback apiserver, and
// stopping the nodes (or killing the test process) leaves no process, mount, file, cgroup or
// changed sysctl behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { controlPlane, eventually } from './context.ts';
import { startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import {
  alive,
  otherNodesRunning,
  podLogLinks,
  processName,
  savedSysctls,
  shimSockets,
  sysctls,
} from './node-checks.ts';
import { cgroupPids } from './node-host.ts';
import { startNode, type TestNode } from './node.ts';
import { pauseImage } from './pause-image.ts';

interface Pod {
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers: { name: string; env?: { name: string; value?: string }[] }[];
  };
  status?: { phase?: string; podIP?: string };
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
      const image = (await pauseImage()).ref;
      cluster = await startKubeCluster({ name: 'pods', baseDir: dir, pods: true });
      log('pods cluster (apiserver, kcm, scheduler, policy)', Date.now() - t0);
      const c = cluster;
      // The crash case runs beside the main one: same cluster, its own node, half the wall time.
      const crash = crashedNodeLeavesNothing(cluster, dir, image);
      nodes = await Promise.all(
        ['node-a', 'node-b'].map((name) => startNode({ cluster: c, name, baseDir: dir })),
      );
      log('cold pods cluster until two nodes Ready', Date.now() - t0);
      for (const n of nodes) log(`${n.name} Ready after kubelet start`, n.readyAfterMs);
      expect(new Set(nodes.map((n) => n.ip)).size).toBe(2);
      // kubelet changed the host (hence the restore checked below).
      expect(sysctls()['vm/overcommit_memory']).toBe('1');
      const original = savedSysctls();
      await runsPodsOnBoth(cluster, nodes, image);
      await crash;
      await stopLeavesNothing(nodes, dir);
      if (!otherNodesRunning()) expect(sysctls()).toEqual(original);
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
 * A Deployment's two replicas run one on each node, rewritten onto the host network with the
 * loopback apiserver; a plain pod reaches the apiserver the way in-cluster clients do.
 */
async function runsPodsOnBoth(cluster: KubeCluster, nodes: TestNode[], image: string) {
  const admin = new KubeClient(cluster.adminConnection());
  const pods = '/api/v1/namespaces/default/pods';
  try {
    const created = Date.now();
    await admin.create('/apis/apps/v1/namespaces/default/deployments', deployment(image));
    await admin.create(pods, dialPod(image));
    const running = await eventually('two pause pods Running', async () => {
      const list = await admin.get<{ items: Pod[] }>(pods, { labelSelector: 'app=pause' });
      const items = list.items.filter((p) => p.status?.phase === 'Running');
      return items.length === 2 ? items : undefined;
    });
    log('Deployment created until both pods Running', Date.now() - created);
    await eventually('the dial pod to succeed', async () => {
      const phase = (await admin.get<Pod>(`${pods}/dial`)).status?.phase;
      if (phase === 'Failed') throw new Error('the dial pod failed');
      return phase === 'Succeeded' ? true : undefined;
    });
    // Its log comes through the apiserver from kubelet on the node's IP (as kubectl logs does).
    const port = new URL(cluster.server).port;
    expect(await admin.get(`${pods}/dial/log`)).toBe(`connected to 127.0.0.1:${port}\n`);

    expect(running.map((p) => p.spec.nodeName).sort()).toEqual(['node-a', 'node-b']);
    for (const pod of running) {
      expect(pod.spec.hostNetwork).toBe(true);
      expect(pod.status?.podIP).toBe(nodes.find((n) => n.name === pod.spec.nodeName)?.ip);
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
}

/** stop() kills daemons, shims and containers and removes every trace of the nodes. */
async function stopLeavesNothing(nodes: TestNode[], dir: string) {
  const pids = nodes.flatMap((n) => n.pids());
  const names = new Set(pids.map(processName));
  for (const name of ['kubelet', 'containerd', 'containerd-shim', 'pause']) {
    expect(names).toContain(name);
  }
  expect(podLogLinks(dir).length).toBeGreaterThanOrEqual(2);
  // One shim per pod (its containers share the sandbox's shim): two pods, two sockets.
  const sockets = nodes.flatMap(shimSockets);
  expect(sockets.length).toBeGreaterThanOrEqual(2);

  const stopped = Date.now();
  await Promise.all(nodes.map((n) => n.stop()));
  log('two nodes stopped', Date.now() - stopped);

  expect(pids.filter(alive)).toEqual([]);
  for (const n of nodes) {
    expect(existsSync(n.stateDir)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/pids/${n.cgroup}`)).toBe(false);
  }
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
  expect(podLogLinks(dir)).toEqual([]);
  expect(sockets.filter((s) => existsSync(s))).toEqual([]);
}

/**
 * A node whose test process dies by SIGKILL (no stop(), no exit handlers): kubelet and containerd
 * die with it (parent-death signal), the reaper kills the shims and containers and removes the
 * rest within seconds.
 */
async function crashedNodeLeavesNothing(cluster: KubeCluster, dir: string, image: string) {
  const child = startNodeProcess(cluster, dir, 'node-crash');
  try {
    const started = await child.started;
    const admin = new KubeClient(cluster.adminConnection());
    try {
      const pod = await admin.create<{ metadata: { name: string } }>(
        '/api/v1/namespaces/default/pods',
        pausePod(image, 'node-crash'),
      );
      await eventually('the pod on node-crash Running', async () => {
        const path = `/api/v1/namespaces/default/pods/${pod.metadata.name}`;
        return (await admin.get<Pod>(path)).status?.phase === 'Running' ? true : undefined;
      });
    } finally {
      await admin.close();
    }
    const pids = cgroupPids(started.cgroup);
    expect(new Set(pids.map(processName))).toContain('containerd-shim');
    child.kill();
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
    child.kill();
  }
}

/** startNode() in a child process, which the test can SIGKILL. */
function startNodeProcess(cluster: KubeCluster, dir: string, name: string) {
  const script = `
    import { startNode } from ${JSON.stringify(new URL('./node.ts', import.meta.url).href)};
    const spec = JSON.parse(process.env.KBT_NODE_SPEC);
    const cluster = { ...spec.cluster, pods: true, adminConnection: () => spec.conn };
    const node = await startNode({ cluster, name: spec.name, baseDir: spec.dir });
    console.log(JSON.stringify({ stateDir: node.stateDir, cgroup: node.cgroup }));
    setInterval(() => {}, 1000);
  `;
  const { server, ca } = cluster;
  const spec = { cluster: { name: cluster.name, server, ca }, conn: cluster.adminConnection() };
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, KBT_NODE_SPEC: JSON.stringify({ ...spec, dir, name }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  type Started = { stateDir: string; cgroup: string };
  const started = new Promise<Started>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => {
      resolve(JSON.parse(chunk.toString()) as Started);
    });
    child.once('exit', () => {
      reject(new Error(`the process of ${name} exited before the node was Ready`));
    });
  });
  return { started, kill: () => child.kill('SIGKILL') };
}

const labels = { app: 'pause' };

function deployment(image: string): unknown {
  return {
    metadata: { name: 'pause', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          affinity: {
            // Only on the two nodes under test (not node-crash), one replica on each.
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      {
                        key: 'kubernetes.io/hostname',
                        operator: 'In',
                        values: ['node-a', 'node-b'],
                      },
                    ],
                  },
                ],
              },
            },
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

function pausePod(image: string, nodeName: string): unknown {
  return {
    metadata: { generateName: 'pause-' },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'pause', image, imagePullPolicy: 'Never' }],
    },
  };
}

/** A pod with no hostNetwork of its own that dials KUBERNETES_SERVICE_HOST:PORT once. */
function dialPod(image: string): unknown {
  return {
    metadata: { name: 'dial' },
    spec: {
      nodeName: 'node-a',
      restartPolicy: 'Never',
      containers: [{ name: 'dial', image, imagePullPolicy: 'Never', args: ['--dial-kubernetes'] }],
    },
  };
}
