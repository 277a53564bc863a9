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
// The same shell script cleans up on stop() and, from a detached reaper, after the test process
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
import { promisify } from 'node:util';

const run = promisify(execFile);

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

const script = String.raw`
set -u
STATE="$KBT_STATE"
cmd="$1"; id="$2"

locked() {
  mkdir -p "$STATE/nodes"
  exec 9>"$STATE/lock"
  flock 9
}

# Entries whose test process is gone no longer hold anything (their reaper cleans the rest).
drop_stale() {
  for f in "$STATE"/nodes/*; do
    [ -f "$f" ] || continue
    read -r owner ip < "$f" || true
    kill -0 "$owner" 2>/dev/null || rm -f "$f"
  done
}

acquire() { # <owner-pid>: saves the sysctls if first, prints this node's IP
  locked
  drop_stale
  if [ ! -f "$STATE/sysctl.saved" ]; then
    for k in ${sysctlList()}; do echo "$k $(cat /proc/sys/$k)"; done > "$STATE/sysctl.saved.tmp"
    mv "$STATE/sysctl.saved.tmp" "$STATE/sysctl.saved"
    # kubelet's device manager socket path is fixed (/var/lib/kubelet/device-plugins/kubelet.sock).
    [ -e /var/lib/kubelet ] || touch "$STATE/var-lib-kubelet.ours"
  fi
  used=" $(cat "$STATE"/nodes/* 2>/dev/null | awk '{print $2}' | tr '\n' ' ') "
  n=2
  while [ $n -le 254 ]; do
    case "$used" in *" 127.0.0.$n "*) n=$((n + 1)) ;; *) break ;; esac
  done
  [ $n -le 254 ] || { echo "no free loopback IP for a test node" >&2; exit 1; }
  echo "$1 127.0.0.$n" > "$STATE/nodes/$id"
  echo "127.0.0.$n"
}

release() { # the last node to leave restores the sysctls
  locked
  rm -f "$STATE/nodes/$id"
  drop_stale
  if [ -z "$(ls -A "$STATE/nodes")" ] && [ -f "$STATE/sysctl.saved" ]; then
    while read -r k v; do echo "$v" > "/proc/sys/$k"; done < "$STATE/sysctl.saved"
    rm -f "$STATE/sysctl.saved"
    if [ -f "$STATE/var-lib-kubelet.ours" ]; then
      rm -rf /var/lib/kubelet "$STATE/var-lib-kubelet.ours"
    fi
  fi
}

cgroups() { for h in /sys/fs/cgroup/*/; do [ -d "$h$CG" ] && echo "$h$CG"; done; }

cleanup() { # <node-dir> <containerd-socket>
  dir="$1"; sock="$2"; CG="kbt-node-$id"
  # Everything of the node: kubelet, containerd, shims, containers (a few rounds: shims may
  # still be forking while the first SIGKILLs land).
  i=0
  while [ $i -lt 100 ]; do
    dirs=$(cgroups)
    [ -n "$dirs" ] || break
    pids=$(cat $(find $dirs -name cgroup.procs) 2>/dev/null)
    [ -z "$pids" ] && break
    kill -9 $pids 2>/dev/null
    sleep 0.05; i=$((i + 1))
  done
  # Container rootfs overlays, kubelet's volume tmpfs and its rshared bind of its root dir.
  mounts() { awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo; }
  mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  # Shim sockets: containerd names them sha256(<containerd socket>/<namespace>/<task id>).
  for t in "$dir"/containerd/state/io.containerd.runtime.v2.task/*/*; do
    [ -d "$t" ] || continue
    ns=$(basename "$(dirname "$t")")
    h=$(printf '%s' "$sock/$ns/$(basename "$t")" | sha256sum | cut -d' ' -f1)
    rm -f "/run/containerd/s/$h"
  done
  rmdir /run/containerd/s /run/containerd 2>/dev/null
  for l in /var/log/containers/*; do
    case "$(readlink "$l")" in "$dir"/*) rm -f "$l" ;; esac
  done
  rmdir /var/log/containers 2>/dev/null
  for c in $(cgroups); do find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
  # A bind mount left in there could lead rm into host files.
  if [ -n "$(mounts)" ]; then
    echo "mounts left under $dir, not removing it:" $(mounts) >&2
  else
    rm -rf "$dir"
  fi
  release
}

reap() { # <owner-pid> <node-dir> <containerd-socket>: cleans up once the owner is gone
  owner="$1"; shift
  while kill -0 "$owner" 2>/dev/null; do sleep 0.5; done
  cleanup "$@"
}

shift 2
"$cmd" "$@"
`;

function sysctlList(): string {
  return kubeletSysctls.join(' ');
}

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
  { nodeDir, stateDir, socket }: { nodeDir: string; stateDir: string; socket: string },
): Promise<HostLease> {
  mkdirSync(hostStateDir, { recursive: true });
  const scriptPath = join(nodeDir, 'node-host.sh');
  writeFileSync(scriptPath, script, { mode: 0o700 });
  const env = { ...process.env, KBT_STATE: hostStateDir };
  const sh = (...args: string[]) => run('/bin/sh', [scriptPath, ...args], { env });
  const ip = (await sh('acquire', id, String(process.pid))).stdout.trim();
  const cgroup = `kbt-node-${id}`;
  createCgroups(cgroup);
  // Detached and outside every process group of the test run: it must survive its death.
  const reaper = spawn('/bin/sh', [scriptPath, 'reap', id, String(process.pid), stateDir, socket], {
    env,
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
  const daemonsProcs = `/sys/fs/cgroup/pids/${cgroup}/daemons/cgroup.procs`;
  return {
    ip,
    cgroup,
    pids: () => cgroupPids(cgroup),
    enterCgroup: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', `echo $$ > ${daemonsProcs} && exec "$0" "$@"`, command, ...args],
    }),
    release: async () => {
      if (reaper.pid !== undefined) {
        try {
          process.kill(reaper.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sh('cleanup', id, stateDir, socket);
    },
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
