// One containerd per test node, sharing nothing with the others on the machine: its config, root,
// state, sockets, runc state and CNI configuration all live in the node's directory. Debian's
// containerd and runc; the CRI plugin serves kubelet.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess, waitUntilReady } from './process.ts';

const run = promisify(execFile);

export interface ContainerdSpec {
  name: string;
  /** Removed when the node stops. */
  stateDir: string;
  logDir: string;
  ip: string;
  sandboxImage: string;
  /** Wraps the command line (to start it in the node's cgroup). */
  wrap: (command: string, args: readonly string[]) => { command: string; args: string[] };
}

export interface Containerd {
  proc: ManagedProcess;
  /** The CRI/gRPC socket path (no scheme). */
  socket: string;
  importImage: (archive: string) => Promise<void>;
}

/** containerd's gRPC socket for a node state directory. */
export function containerdSocket(stateDir: string): string {
  return join(stateDir, 'containerd.sock');
}

export async function startContainerd(spec: ContainerdSpec): Promise<Containerd> {
  const socket = containerdSocket(spec.stateDir);
  const cniDir = join(spec.stateDir, 'cni');
  mkdirSync(cniDir, { recursive: true });
  // Pods run in the host's network (see node-cluster.ts), but the CRI plugin reports the network
  // not ready (NetworkPluginNotReady) until some CNI configuration exists: loopback is enough.
  writeFileSync(
    join(cniDir, '10-loopback.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'kbt-loopback', plugins: [{ type: 'loopback' }] }),
  );
  const configPath = join(spec.stateDir, 'containerd.toml');
  writeFileSync(configPath, config(spec, socket, cniDir));
  const { command, args } = spec.wrap('containerd', ['--config', configPath]);
  const proc = new ManagedProcess({
    name: `${spec.name}-containerd`,
    command,
    args,
    logDir: spec.logDir,
  });
  const ctr = (...args: string[]) => run('ctr', ['--address', socket, ...args]);
  await waitUntilReady(
    proc,
    'serving',
    async () => existsSync(socket) && (await ctr('version')).stdout.includes('Server'),
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  return {
    proc,
    socket,
    importImage: async (archive) => {
      await ctr('-n', 'k8s.io', 'images', 'import', archive);
    },
  };
}

function config(spec: ContainerdSpec, socket: string, cniDir: string): string {
  const dir = spec.stateDir;
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
# Nothing here uses them; they only add start-up time and log noise.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/containerd/opt"

[${cri}]
  sandbox_image = "${spec.sandboxImage}"
  # The machine lacks CAP_SYS_RESOURCE: lowering a container's oom_score_adj below ours fails
  # (runc: "can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  stream_server_address = "${spec.ip}"
  stream_server_port = "0"
[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${cniDir}"
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  BinaryName = "runc"
  Root = "${dir}/runc"
  SystemdCgroup = false
`;
}
