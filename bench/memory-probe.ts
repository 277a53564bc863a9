// Preloaded into a bin/ process by bench/memory-breakdown.ts (NODE_OPTIONS=--import): on SIGUSR2
// it writes process.memoryUsage() and V8's heap-space figures, and while $KBT_MEMORY_DIR/snapshot
// exists a heap snapshot, to $KBT_MEMORY_DIR/<pid>-<n>.json / .heapsnapshot, then `<pid>-<n>.done`.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const dir = process.env['KBT_MEMORY_DIR'];
let n = 0;
if (dir) {
  process.on('SIGUSR2', () => {
    const base = join(dir, `${process.pid}-${n++}`);
    const usage = process.memoryUsage();
    const spaces = getHeapSpaceStatistics().map((s) => ({
      space: s.space_name,
      used: s.space_used_size,
      size: s.space_size,
    }));
    writeFileSync(`${base}.json`, JSON.stringify({ usage, spaces }));
    if (existsSync(join(dir, 'snapshot'))) writeHeapSnapshot(`${base}.heapsnapshot`);
    writeFileSync(`${base}.done`, '');
  });
}
