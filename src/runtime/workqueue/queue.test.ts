import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../clock.ts';
import type { QueueMetrics } from './metrics.ts';
import { WorkQueue } from './queue.ts';
import { itemExponentialLimiter } from './rate-limiter.ts';

function setup(): { clock: FakeClock; q: WorkQueue } {
  const clock = new FakeClock();
  return { clock, q: new WorkQueue({ name: 'test', clock }) };
}

/** Follows a promise so tests can look at whether (and with what) it settled. */
function track<T>(promise: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

/** Takes everything queued right now, marking each done. */
async function takeAll(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const item = await q.get();
    if (item === undefined) break;
    out.push(item);
    q.done(item);
  }
  return out;
}

/** Advances 1 ms at a time until `item` is queued; returns the time that took. */
async function msUntilQueued(clock: FakeClock, q: WorkQueue): Promise<number> {
  const start = clock.now();
  while (q.len() === 0) {
    if (clock.now() - start > 100_000) throw new Error('never queued');
    await clock.advance(1);
  }
  return clock.now() - start;
}

describe('WorkQueue add/get/done', () => {
  it('hands keys out first in, first out', async () => {
    const { q } = setup();
    for (const k of ['c', 'a', 'd', 'b']) q.add(k);
    expect(await takeAll(q)).toEqual(['c', 'a', 'd', 'b']);
  });

  it('queues a key only once while it waits', async () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await takeAll(q)).toEqual(['a', 'b']);
  });

  it('holds a key re-added while processing until done, then queues it once', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    const second = track(q.get());
    await flushMicrotasks();
    expect(second.settled).toBe(false); // 'a' is still held by the first worker
    q.done('a');
    await flushMicrotasks();
    expect(second.value).toBe('a');
    expect(q.len()).toBe(0);
    q.done('a');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(0);
  });

  it('does not requeue a key that was not re-added', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    expect(q.processingCount()).toBe(1);
    q.done('a');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(0);
  });

  it('ignores done for a key that was never handed out', () => {
    const { q } = setup();
    q.add('a');
    q.done('a');
    q.done('zzz');
    expect(q.len()).toBe(1);
  });

  it('serves waiting workers in the order they asked', async () => {
    const { q } = setup();
    const first = track(q.get());
    const second = track(q.get());
    q.add('x');
    q.add('y');
    await flushMicrotasks();
    expect([first.value, second.value]).toEqual(['x', 'y']);
    expect(q.processingCount()).toBe(2);
  });

  it('never gives one key to two workers, and runs each key after its last add', async () => {
    const { clock, q } = setup();
    const keys = ['a', 'b', 'c'];
    const active = new Set<string>();
    const overlaps: string[] = [];
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let seq = 0;
    let runs = 0;
    let maxActive = 0;
    const worker = async (id: number): Promise<void> => {
      for (let item = await q.get(); item !== undefined; item = await q.get()) {
        if (active.has(item)) overlaps.push(item);
        active.add(item);
        maxActive = Math.max(maxActive, active.size);
        lastStart.set(item, seq++);
        runs++;
        await clock.sleep(1 + ((id + runs) % 5));
        active.delete(item);
        q.done(item);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    for (let i = 0; i < 300; i++) {
      const key = keys[(i + (i >> 2)) % keys.length] ?? 'a';
      lastAdd.set(key, seq++);
      q.add(key);
      if (i % 4 === 0) await clock.advance(i % 3);
    }
    const drained = q.shutDownWithDrain();
    for (let i = 0; i < 100 && q.processingCount() + q.len() > 0; i++) await clock.advance(5);
    expect(await drained).toBe(true);
    await Promise.all(workers);
    expect(overlaps).toEqual([]);
    expect(maxActive).toBeGreaterThan(1); // the workers did run side by side
    expect(runs).toBeGreaterThan(keys.length);
    for (const k of keys) expect(lastStart.get(k)).toBeGreaterThan(lastAdd.get(k) ?? Infinity);
  });
});

describe('WorkQueue addAfter', () => {
  it('adds keys when they fall due, in due order', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 30);
    q.addAfter('b', 10);
    q.addAfter('c', 20);
    await clock.advance(9);
    expect(q.len()).toBe(0);
    expect(q.delayedCount()).toBe(3);
    await clock.advance(21);
    expect(q.delayedCount()).toBe(0);
    expect(await takeAll(q)).toEqual(['b', 'c', 'a']);
  });

  it('keeps the earlier due time when a key is delayed again', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('b', 50);
    q.addAfter('b', 100);
    expect(q.delayedCount()).toBe(2);
    expect(clock.pendingTimers).toBe(2); // the superseded timer of 'a' is cancelled
    await clock.advance(50);
    expect(await takeAll(q)).toEqual(['a', 'b']);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(100);
    expect(q.len()).toBe(0); // no second add at 100 ms
  });

  it('adds at once for a delay of zero or less', () => {
    const { clock, q } = setup();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it('dedupes a delayed key against the same key already queued', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.addAfter('a', 10);
    await clock.advance(10);
    expect(q.len()).toBe(1);
  });
});

describe('WorkQueue dropDelayed', () => {
  it('cancels the matching delayed adds and their failure history, and only those', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ name: 'test', clock, rateLimiter: itemExponentialLimiter() });
    q.addRateLimited('gone|a');
    q.addAfter('gone|b', 60_000);
    q.addAfter('kept|c', 10);
    expect(clock.pendingTimers).toBe(3);
    expect(q.countDelayed((k) => k.startsWith('gone|'))).toBe(2);
    expect(q.dropDelayed((k) => k.startsWith('gone|'))).toBe(2);
    expect(q.countDelayed((k) => k.startsWith('gone|'))).toBe(0);
    expect(clock.pendingTimers).toBe(1);
    expect(q.delayedCount()).toBe(1);
    expect(q.numRequeues('gone|a')).toBe(0);
    await clock.advance(60_000);
    expect(await takeAll(q)).toEqual(['kept|c']);
  });
});

describe('WorkQueue rate limiting', () => {
  it('delays retries exponentially per key, and forget starts over', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ name: 'test', clock, rateLimiter: itemExponentialLimiter() });
    const waited: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      waited.push(await msUntilQueued(clock, q));
      await takeAll(q);
    }
    expect(waited).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.addRateLimited('a');
    expect(await msUntilQueued(clock, q)).toBe(5);
  });

  it('uses the controller default limiter when none is given', async () => {
    const { clock, q } = setup();
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    // The second request asked for 10 ms; the earlier 5 ms due time wins.
    expect(await msUntilQueued(clock, q)).toBe(5);
  });
});

describe('WorkQueue shutDown', () => {
  it('wakes every waiting worker with undefined', async () => {
    const { q } = setup();
    const waiters = [track(q.get()), track(q.get()), track(q.get())];
    q.shutDown();
    await flushMicrotasks();
    expect(waiters.map((w) => [w.settled, w.value])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
    ]);
    expect(q.isShuttingDown()).toBe(true);
    expect(await q.get()).toBeUndefined();
  });

  it('abandons queued keys', async () => {
    const { q } = setup();
    q.add('a');
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  it('cancels delayed adds, leaving no timers', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 10);
    q.addAfter('b', 1000);
    q.addRateLimited('c');
    expect(clock.pendingTimers).toBe(3);
    q.shutDown();
    expect(clock.pendingTimers).toBe(0);
    expect(q.delayedCount()).toBe(0);
    await clock.advance(2000);
    expect(q.len()).toBe(0);
  });

  it('ignores adds once shut down', () => {
    const { clock, q } = setup();
    q.shutDown();
    q.add('a');
    q.addAfter('b', 10);
    q.addRateLimited('c');
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(q.numRequeues('c')).toBe(0); // the limiter was not even asked
  });

  it('lets in-flight workers call done without requeueing', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.shutDown();
    q.done('a');
    expect(q.processingCount()).toBe(0);
    expect(q.len()).toBe(0);
  });
});

describe('WorkQueue shutDownWithDrain', () => {
  it('waits for in-flight and queued keys, handing out the queued ones', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.add('b');
    q.addAfter('later', 10);
    expect(await q.get()).toBe('a');
    const drained = track(q.shutDownWithDrain());
    expect(clock.pendingTimers).toBe(0);
    q.add('c'); // ignored: draining admits nothing new
    expect(await q.get()).toBe('b');
    const idle = track(q.get()); // nothing queued, but work in flight: wait
    q.done('a');
    await flushMicrotasks();
    expect(drained.settled).toBe(false);
    expect(idle.settled).toBe(false);
    q.done('b');
    await flushMicrotasks();
    expect(drained.value).toBe(true);
    expect(idle).toEqual({ settled: true, value: undefined });
    expect(await q.get()).toBeUndefined();
  });

  it('waits for queued keys even when nothing is in flight yet', async () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    const drained = track(q.shutDownWithDrain());
    await flushMicrotasks();
    expect(drained.settled).toBe(false);
    expect(await takeAll(q)).toEqual(['a', 'b']);
    await flushMicrotasks();
    expect(drained.value).toBe(true);
  });

  it('runs a key again when it was re-added before the drain began', async () => {
    const { q } = setup();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    const drained = track(q.shutDownWithDrain());
    const next = track(q.get());
    q.done('a');
    await flushMicrotasks();
    expect(next.value).toBe('a');
    expect(drained.settled).toBe(false);
    q.done('a');
    await flushMicrotasks();
    expect(drained.value).toBe(true);
  });

  it('resolves at once when there is nothing to do', async () => {
    const { q } = setup();
    const waiter = track(q.get());
    expect(await q.shutDownWithDrain()).toBe(true);
    await flushMicrotasks();
    expect(waiter).toEqual({ settled: true, value: undefined });
  });

  it('gives up when the signal aborts, stopping the queue', async () => {
    const { q } = setup();
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('a');
    const abort = new AbortController();
    const drained = track(q.shutDownWithDrain(abort.signal));
    abort.abort();
    await flushMicrotasks();
    expect(drained.value).toBe(false);
    expect(await q.get()).toBeUndefined(); // 'b' is abandoned
  });

  it('gives up at once for an already aborted signal', async () => {
    const { q } = setup();
    q.add('a');
    await q.get();
    expect(await q.shutDownWithDrain(AbortSignal.abort())).toBe(false);
  });

  it('gives up when shutDown is called meanwhile', async () => {
    const { q } = setup();
    q.add('a');
    await q.get();
    const drained = track(q.shutDownWithDrain());
    q.shutDown();
    await flushMicrotasks();
    expect(drained.value).toBe(false);
  });
});

describe('WorkQueue metrics', () => {
  function recorder(): QueueMetrics & { events: string[] } {
    const events: string[] = [];
    return {
      events,
      add: (name) => void events.push(`add ${name}`),
      depth: (name, n) => void events.push(`depth ${name} ${n}`),
      retry: (name) => void events.push(`retry ${name}`),
      queueLatency: (name, s) => void events.push(`latency ${name} ${s}`),
      workDuration: (name, s) => void events.push(`work ${name} ${s}`),
      unfinishedWork: (name, s) => void events.push(`unfinished ${name} ${s}`),
      longestRunningProcessor: (name, s) => void events.push(`longest ${name} ${s}`),
    };
  }

  it('reports adds, depth, latency and work duration', async () => {
    const clock = new FakeClock();
    const metrics = recorder();
    const q = new WorkQueue({ name: 'm', clock, metrics });
    q.add('a');
    q.add('a'); // already waiting: not an add
    await clock.advance(2000);
    const item = await q.get();
    await clock.advance(3000);
    if (item !== undefined) q.done(item);
    expect(metrics.events).toEqual(['add m', 'depth m 1', 'latency m 2', 'depth m 0', 'work m 3']);
  });

  it('counts delayed adds as retries', () => {
    const clock = new FakeClock();
    const metrics = recorder();
    const q = new WorkQueue({ name: 'm', clock, metrics });
    q.addAfter('a', 10);
    q.addRateLimited('b');
    expect(metrics.events).toEqual(['retry m', 'retry m']);
  });

  it('reports unfinished work on request', async () => {
    const clock = new FakeClock();
    const metrics = recorder();
    const q = new WorkQueue({ name: 'm', clock, metrics });
    q.add('a');
    await q.get();
    await clock.advance(1000);
    q.add('b');
    await q.get();
    await clock.advance(500);
    metrics.events.length = 0;
    q.updateUnfinishedWork();
    expect(metrics.events).toEqual(['unfinished m 2', 'longest m 1.5']);
  });
});
