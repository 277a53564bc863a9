// State shared by the reporter and the global setup, which run in the same (main) vitest process
// but may be loaded as separate module instances: hence globalThis, not a module variable.
import { join } from 'node:path';
import { repoRoot } from './tools.ts';

const failedKey = Symbol.for('kube-bind-ts.test-run-failed');

export function markRunFailed(): void {
  (globalThis as Record<symbol, unknown>)[failedKey] = true;
}

export function runFailed(): boolean {
  return (globalThis as Record<symbol, unknown>)[failedKey] === true;
}

export function artifactsDir(): string {
  return process.env['KBT_ARTIFACTS_DIR'] ?? join(repoRoot, 'test-artifacts');
}

export function summaryPath(): string {
  return join(artifactsDir(), 'summary.json');
}
