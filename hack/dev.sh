#!/usr/bin/env bash
# Sets up what is missing and starts the local environment in the foreground; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash hack/setup.sh
source <(bash hack/setup.sh --print-env)
exec node hack/dev-env.ts "$@"
