import { describe, expect, it } from 'vitest';
import { FakeClock, realClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires due timers in order and skips cancelled ones', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push('c'));
    clock.setTimer(10, () => fired.push('a'));
    const cancelled = clock.setTimer(20, () => fired.push('never'));
    clock.setTimer(10, () => fired.push('b'));
    cancelled.cancel();
    await clock.advance(25);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(25);
    await clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('sleeps until advanced and rejects on abort', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    const sleeping = clock.sleep(100).then(() => (woke = true));
    await clock.advance(99);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
    const abort = new AbortController();
    const aborted = clock.sleep(100, abort.signal);
    abort.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('realClock', () => {
  it('does not turn a delay beyond the timer limit into an immediate one', async () => {
    let fired = false;
    const timer = realClock.setTimer(2 ** 33, () => (fired = true));
    await realClock.sleep(20);
    timer.cancel();
    expect(fired).toBe(false);
  });
});
