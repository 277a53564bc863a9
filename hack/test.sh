#!/usr/bin/env bash
# Sets up everything a fresh machine lacks and runs every test (unit tests, then the integration
# and smoke tests against real servers), after the type check and lint. Ends with one plain line
# `N passed, N failed` that CI reads. Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
bash hack/setup.sh
source <(bash hack/setup.sh --print-env)
echo "[test] setup took $((SECONDS - started))s" >&2

status=0
checks_failed=0
npm run --silent typecheck || { status=1; checks_failed=$((checks_failed + 1)); }
npm run --silent lint || { status=1; checks_failed=$((checks_failed + 1)); }

rm -f test-artifacts/summary.json
npx vitest run "$@" || status=1

echo "[test] total $((SECONDS - started))s" >&2
# Last line of the output: the plain summary CI reads. The type check and lint count as one test
# each when they fail.
CHECKS_FAILED=$checks_failed node --input-type=module -e '
  import { readFileSync } from "node:fs";
  let s = { passed: 0, failed: 0, skipped: 0, errors: 1 };
  try { s = JSON.parse(readFileSync("test-artifacts/summary.json", "utf8")); } catch {}
  const failed = s.failed + s.errors + Number(process.env.CHECKS_FAILED);
  console.log(`${s.passed} passed, ${failed} failed` + (s.skipped ? `, ${s.skipped} skipped` : ""));
'
exit $status
