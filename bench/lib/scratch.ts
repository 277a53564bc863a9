import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllNow } from '../../test/harness/process.ts';

/**
 * A new temporary directory for a run's files. Interrupted (SIGINT, SIGTERM), the run kills every
 * server the harness started now (they would also die with us, via pdeathsig), removes the
 * directory and exits 130.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllNow();
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  return dir;
}
