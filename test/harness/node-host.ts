// What the test nodes share with the rest of the machine, and how it is given back. kubelet and
// containerd were made to own a host: kubelet rewrites kernel sysctls, mounts tmpfs volumes under
// its root directory, links pod logs into /var/log/containers; containerd's shims (and the
// containers under them) outlive containerd and leave sockets in /run/containerd/s. Several nodes
// of several test files run at once, so this bookkeeping is machine-wide, in /run (cleared on
// reboot, as the sysctls are), under one flock:
//   - each node holds an entry with its owner's pid and its loopback IP (127.0.0.2-254);
//   - the first node saves the sysctls, the last one to leave restores them;
//   - every node's processes live in its own cgroup (`kbt-node-<id>`, kubelet's --cgroup-root),
//     so "kill everything of this node" is reading cgroup.procs, shims and containers included.
// The same shell script (node-host.sh) cleans up on stop() and, from a detached reaper, after the test process
// died without stopping (kill -9, crash): nothing of a node can outlive its test run for long.
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scriptPath = fileURLToPath(new URL('./node-host.sh', import.meta.url));

/** Machine-wide state of the test nodes. */
export const hostStateDir = process.env['KBT_NODE_STATE_DIR'] ?? '/run/kube-bind-ts/nodes';

/** The sysctls kubelet sets at start (pkg/kubelet/cm setupKernelTunables). */
export const kubeletSysctls = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
] as const;

export interface HostLease {
  /** The node's own loopback address. */
  ip: string;
  /** The cgroup (in every hierarchy) that holds all the node's processes. */
  cgroup: string;
  /** Moves the calling shell into the node's cgroup: prefix for the daemons' command lines. */
  enterCgroup: (command: string, args: readonly string[]) => { command: string; args: string[] };
  /** Every process of the node now (daemons, shims, containers), from its cgroups. */
  pids: () => number[];
  /** Kills what is left of the node, removes its mounts, files and cgroups; gives the IP back. */
  release(): Promise<void>;
}

/**
 * Takes a loopback IP and the sysctl hold for node `id` (unique on the machine), creates its
 * cgroups and starts the reaper that removes `stateDir` should this process die first.
 * `socket` is the node's containerd socket (it names the shims' sockets).
 */
export async function leaseHost(
  id: string,
  { stateDir, socket }: { stateDir: string; socket: string },
): Promise<HostLease> {
  mkdirSync(hostStateDir, { recursive: true });
  const env = { ...process.env, KBT_STATE: hostStateDir, KBT_SYSCTLS: kubeletSysctls.join(' ') };
  const sh = (...args: string[]) => run('/bin/sh', [scriptPath, ...args], { env });
  const ip = (await sh('acquire', id, String(process.pid))).stdout.trim();
  // Detached and outside every process group of the test run: it must survive its death.
  const reaper = spawn('/bin/sh', [scriptPath, 'reap', id, String(process.pid), stateDir, socket], {
    env,
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
  const release = async (): Promise<void> => {
    if (reaper.pid !== undefined) {
      try {
        process.kill(reaper.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sh('cleanup', id, stateDir, socket);
  };
  const cgroup = `kbt-node-${id}`;
  try {
    createCgroups(cgroup);
  } catch (err) {
    await release();
    throw err;
  }
  const daemonsProcs = `/sys/fs/cgroup/pids/${cgroup}/daemons/cgroup.procs`;
  return {
    ip,
    cgroup,
    pids: () => cgroupPids(cgroup),
    enterCgroup: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', `echo $$ > ${daemonsProcs} && exec "$0" "$@"`, command, ...args],
    }),
    release,
  };
}

/**
 * The node's cgroup in every v1 hierarchy: kubelet requires its --cgroup-root to exist. cpuset
 * children start with no CPUs or memory nodes, so they get their parent's.
 */
function createCgroups(cgroup: string): void {
  const root = '/sys/fs/cgroup';
  if (!existsSync(join(root, 'pids', 'cgroup.procs'))) {
    throw new Error('test nodes need cgroup v1 with the pids controller at /sys/fs/cgroup/pids');
  }
  for (const hierarchy of readdirSync(root)) {
    const parent = join(root, hierarchy);
    // Co-mounted controllers appear twice (cpu -> cpu,cpuacct); cgroup v2's tree is not kubelet's.
    if (hierarchy === 'unified' || lstatSync(parent).isSymbolicLink()) continue;
    mkdirSync(join(parent, cgroup), { recursive: true });
    if (existsSync(join(parent, 'cpuset.cpus'))) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        writeFileSync(join(parent, cgroup, file), readFileSync(join(parent, file)));
      }
    }
  }
  mkdirSync(join(root, 'pids', cgroup, 'daemons'));
}

/** Every process in the cgroup `cgroup` and below, in any hierarchy. */
export function cgroupPids(cgroup: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name === 'cgroup.procs') {
        for (const line of readFileSync(join(dir, entry.name), 'utf8').split('\n')) {
          if (line) pids.add(Number(line));
        }
      }
    }
  };
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', hierarchy, cgroup);
    if (existsSync(dir)) walk(dir);
  }
  return [...pids];
}
