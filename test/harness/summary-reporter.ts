// Counts the run's tests and writes them to test-artifacts/summary.json; hack/test.sh prints the
// plain `N passed, N failed` line CI reads from it. It also tells the global setup whether the run
// failed, so that it keeps the servers' logs as artifacts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';
import { markRunFailed, summaryPath } from './run-state.ts';

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Test files that failed outside any test (import errors, hooks) and unhandled errors. */
  errors: number;
  reason: TestRunEndReason;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    modules: readonly TestModule[],
    unhandledErrors: readonly SerializedError[],
    reason: TestRunEndReason,
  ): void {
    const summary: RunSummary = {
      passed: 0,
      failed: 0,
      skipped: 0,
      errors: unhandledErrors.length,
      reason,
    };
    for (const mod of modules) {
      let failedTests = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') summary.passed++;
        else if (state === 'failed') failedTests++;
        else summary.skipped++;
      }
      summary.failed += failedTests;
      if (failedTests === 0 && mod.state() === 'failed') summary.errors++;
    }
    if (reason !== 'passed' || summary.failed > 0 || summary.errors > 0) markRunFailed();
    const path = summaryPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(summary, null, 2));
  }
}
