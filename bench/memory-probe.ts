// Preloaded into a bin/ process by bench/memory-breakdown.ts (NODE_OPTIONS=--import): on SIGUSR2
// it writes process.memoryUsage() and V8's heap-space figures, and while $KBT_MEMORY_DIR/snapshot
// exists a heap snapshot, to $KBT_MEMORY_DIR/<pid>-<n>.json / .heapsnapshot, then `<pid>-<n>.done`.
// $KBT_MEMORY_V8_FLAGS are V8 flags that Node refuses in NODE_OPTIONS (--optimize-for-size, …),
// set as the process starts: for a first look only, as V8 reads some flags once, before this runs;
// a flag worth keeping goes into hack/build/node-flags and is measured from there.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';

const dir = process.env['KBT_MEMORY_DIR'];
const v8Flags = process.env['KBT_MEMORY_V8_FLAGS'];
if (v8Flags) setFlagsFromString(v8Flags);
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
