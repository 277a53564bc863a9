# Sourced by bin/*: runs one program on the project's pinned Node.js, from its bundle in dist/
# (hack/build.ts) when that is current, else from its TypeScript sources.
#   launch <bundle name> <entry point in the checkout> [args…]
# The bundle is current while dist/.stamp is newer than every file under src/ and
# package-lock.json (a few ms to check; a missing one counts as changed): an edited source runs
# at once, without a build.
# KBT_FROM_SOURCE=1 runs the sources anyway.

launch() {
  local name=$1 main=$2
  shift 2
  local root node_bin cache entry stamp
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  node_bin="$(bash "$root/hack/tools/node.sh" 2>/dev/null)"
  # Node's compile cache beside the pinned Node.js (a directory this user writes): later starts
  # reuse V8's code (and, from source, the stripped TypeScript). A cache set already wins.
  cache=${KBT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-bind-ts}
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$cache/compile-cache}"
  entry="$root/$main"
  stamp="$root/dist/.stamp"
  if [[ ${KBT_FROM_SOURCE:-0} == 0 && -f $stamp && -f $root/dist/$name.js ]] &&
    [[ -z "$(find "$root/src" "$root/package-lock.json" -newer "$stamp" -print -quit 2>&1)" ]]; then
    entry="$root/dist/$name.js"
  fi
  # Fewer glibc malloc arenas, as in the images (why: hack/build/node-flags). One set wins.
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  # This program's Node.js flags (hack/build/node-flags), whichever form runs.
  local -a flags=()
  read -r -a flags < <(awk -v p="$name" '$1 == p { $1 = ""; print }' "$root/hack/build/node-flags") || true
  exec "$node_bin/node" "${flags[@]}" "$entry" "$@"
}
