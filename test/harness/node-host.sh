#!/bin/sh
# The machine-wide bookkeeping of the test nodes (see node-host.ts, which runs it):
#   node-host.sh acquire <id> <owner-pid>           take an IP and the sysctl hold; prints the IP
#   node-host.sh cleanup <id> <state-dir> <socket>  kill, unmount, remove, release
#   node-host.sh reap <id> <owner-pid> <state-dir> <socket>
#                                                   cleanup once the owner process is gone
# Environment: KBT_STATE (state directory), KBT_SYSCTLS (the sysctls kubelet changes).
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
    for k in $KBT_SYSCTLS; do echo "$k $(cat /proc/sys/$k)"; done > "$STATE/sysctl.saved.tmp"
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
  # Everything below unmounts and removes under $dir: never with an empty id or a short path.
  case "$dir" in /*/*/*) ;; *) echo "refusing to clean up node dir '$dir'" >&2; exit 2 ;; esac
  [ -n "$id" ] || { echo "refusing to clean up a node without an id" >&2; exit 2; }
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
