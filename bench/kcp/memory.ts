import { setTimeout as sleep } from 'node:timers/promises';
import { rssMiB } from '../lib/proc.ts';
import { gc } from './config.ts';

export interface Memory {
  /** V8 heap used, MiB. */
  heap: number;
  /** VmRSS, MiB. */
  rss: number;
}

/** Memory after collecting garbage (several rounds, with turns in between for finalizers). */
export async function memoryAfterGC(): Promise<Memory> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(50);
  }
  return { heap: process.memoryUsage().heapUsed / 2 ** 20, rss: rssMiB('self') };
}

export function above(m: Memory, base: Memory): Memory {
  return { heap: m.heap - base.heap, rss: m.rss - base.rss };
}
