// A real node for a pods cluster (startKubeCluster({ pods: true })): its own containerd (with
// runc) and kubelet, on its own loopback IP, in its own cgroup. Several nodes, of one cluster or
// of several, run on the machine at once. stop() — or, if the test process dies first, a reaper —
// kills every process of the node including containers and shims, unmounts and removes its
// files, and gives the machine back what kubelet changed (see node-host.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, PatchType } from '../../src/kube/client.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { containerdSocket, startContainerd } from './node-containerd.ts';
import { leaseHost } from './node-host.ts';
import { startKubelet } from './node-kubelet.ts';
import { pauseImage } from './pause-image.ts';
import { waitUntilReady, type ManagedProcess } from './process.ts';

export interface NodeOptions {
  /** A cluster started with `pods: true`. */
  cluster: Pick<KubeCluster, 'name' | 'server' | 'ca' | 'pods' | 'adminConnection'>;
  /** The Node's name, unique in its cluster. */
  name: string;
  /** Parent directory: the node lives in `<baseDir>/<name>` (logs in its `logs/`). */
  baseDir: string;
  /** Image archives (`docker save` / OCI format) to import before kubelet starts. */
  images?: readonly string[];
}

export interface TestNode {
  readonly name: string;
  /** Its own loopback address: InternalIP, and the address of its hostNetwork pods. */
  readonly ip: string;
  /** ms from kubelet's start until the Node reported Ready. */
  readonly readyAfterMs: number;
  readonly processes: readonly ManagedProcess[];
  /** Its cgroup (in every hierarchy), kubelet's --cgroup-root. */
  readonly cgroup: string;
  /** Its state directory (containerd, kubelet, pod logs), removed by stop(). */
  readonly stateDir: string;
  /** Every process of the node now: kubelet, containerd, shims, containers. */
  pids: () => number[];
  /** Imports an image archive into the node's containerd, for pods to use without pulling. */
  importImage: (archive: string) => Promise<void>;
  /** Deletes the Node, kills everything of it, restores the host; idempotent. */
  stop(): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<TestNode> {
  const { cluster, name } = opts;
  if (!cluster.pods) throw new Error(`cluster ${cluster.name} was not started with pods: true`);
  const nodeDir = join(opts.baseDir, name);
  const stateDir = join(nodeDir, 'run');
  const logDir = join(nodeDir, 'logs');
  for (const d of [stateDir, logDir]) mkdirSync(d, { recursive: true });
  const socket = containerdSocket(stateDir);
  const lease = await leaseHost(randomBytes(4).toString('hex'), { stateDir, socket });
  const processes: ManagedProcess[] = [];
  const admin = new KubeClient(cluster.adminConnection(), { maxConnections: 1 });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await ignoreNotFound(admin.delete(`/api/v1/nodes/${name}`)).catch(() => undefined);
      await admin.close();
      // kubelet first, so it does not restart what the cleanup kills.
      for (const p of processes.filter((p) => p.name.endsWith('-kubelet'))) await p.stop(5_000);
      await lease.release();
      await Promise.all(processes.map((p) => p.exited));
    })());
  try {
    const pause = await pauseImage();
    const containerd = await startContainerd({
      name,
      stateDir,
      logDir,
      ip: lease.ip,
      sandboxImage: pause.ref,
      wrap: lease.enterCgroup,
    });
    processes.push(containerd.proc);
    await Promise.all([pause.archive, ...(opts.images ?? [])].map(containerd.importImage));
    const kubeletSpec = { cluster, name, ip: lease.ip, stateDir, logDir, containerdSocket: socket };
    const kubelet = await startKubelet({
      ...kubeletSpec,
      cgroup: lease.cgroup,
      wrap: lease.enterCgroup,
    });
    const started = Date.now();
    processes.push(kubelet);
    const poll = { intervalMs: 100 };
    await waitUntilReady(kubelet, 'registered', () => registered(admin, name), poll);
    await setAddresses(admin, name, lease.ip);
    await waitUntilReady(kubelet, 'Ready', () => isReady(admin, name), poll);
    return {
      name,
      ip: lease.ip,
      readyAfterMs: Date.now() - started,
      processes,
      cgroup: lease.cgroup,
      stateDir,
      pids: lease.pids,
      importImage: containerd.importImage,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface NodeStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

async function registered(admin: KubeClient, name: string): Promise<boolean> {
  return (await ignoreNotFound(admin.get(`/api/v1/nodes/${name}`))) !== undefined;
}

/**
 * kubelet refuses a loopback --node-ip as its address ("nodeIP can't be loopback address") and
 * then leaves the Node's addresses alone, so the harness sets them: the InternalIP is what
 * hostNetwork pods get as their IP and what the apiserver dials for logs and exec.
 */
async function setAddresses(admin: KubeClient, name: string, ip: string): Promise<void> {
  const addresses = [
    { type: 'InternalIP', address: ip },
    { type: 'Hostname', address: name },
  ];
  await admin.request('PATCH', `/api/v1/nodes/${name}/status`, {
    body: { status: { addresses } },
    contentType: PatchType.merge,
  });
}

async function isReady(admin: KubeClient, name: string): Promise<boolean> {
  const node = await ignoreNotFound(admin.get<NodeStatus>(`/api/v1/nodes/${name}`));
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
