#!/usr/bin/env bash
# Installs what a fresh machine lacks for this project, idempotently and from caches:
# Debian packages, the pinned Node.js, npm dependencies and the Go-built servers.
#   source <(hack/setup.sh --print-env)   # only print the PATH line
#   hack/setup.sh [--skip-tools]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages the harness needs: setpriv (util-linux) ties servers' lives to the harness,
# openssl/ca-certificates for TLS, git for the Go toolchain; containerd, runc and the CNI plugins
# (loopback) run the test clusters' nodes; podman builds the images where no docker engine runs.
apt_packages=(util-linux ca-certificates git redis-server chromium containerd runc
  containernetworking-plugins)
if ! docker info >/dev/null 2>&1; then apt_packages+=(podman); fi
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is required to build the test servers (etcd, kube-apiserver, kcp, dex); install Go >= 1.26"
  exit 1
fi

node_bin=$(bash hack/tools/node.sh)
export PATH="$node_bin:$PATH"
if [[ ${1:-} == --print-env ]]; then
  echo "export PATH=\"$node_bin:\$PATH\""
  exit 0
fi

# npm ci only when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ "$(cat node_modules/.kbt-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  log "npm ci (node $(node --version))"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.kbt-lock-hash
fi

# Build the web UI (web/dist, served by the backend; chromium above is for its tests) when its
# sources changed since the last build.
if [[ -f web/vite.config.ts ]]; then
  web_hash=$(
    find web/src web/index.html web/vite.config.ts web/tsconfig.json package-lock.json -type f |
      LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -d' ' -f1
  )
  if [[ "$(cat web/dist/.kbt-build-hash 2>/dev/null)" != "$web_hash" ]]; then
    log "building the web UI"
    NODE_ENV=production npm run --silent build:web >/dev/null
    echo "$web_hash" >web/dist/.kbt-build-hash
  fi
fi

# Bundle the programs into dist/ (hack/build.ts; bin/* runs them) when their inputs changed since
# the last build: it hashes them against dist/.stamp and prints only when it built.
bundled=$(node hack/build.ts --if-changed)
if [[ -n $bundled ]]; then log "$bundled"; fi

if [[ ${1:-} != --skip-tools ]]; then
  bash hack/tools/build.sh all
fi

# The backend and konnector images (hack/image/build.sh): seconds when their inputs are unchanged.
bash hack/image/build.sh >/dev/null
