import { describe, expect, it } from 'vitest';
import { Wakeup } from './wakeup.ts';

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 5));
  return done;
};

describe('Wakeup', () => {
  it('starts poked, then waits for the next poke', async () => {
    const w = new Wakeup();
    const signal = new AbortController().signal;
    expect(await settled(w.wait(signal))).toBe(true);
    const waiting = w.wait(signal);
    expect(await settled(waiting)).toBe(false);
    w.poke();
    expect(await settled(waiting)).toBe(true);
  });

  it('keeps pokes made during a pass, folded into one wake-up', async () => {
    const w = new Wakeup();
    const signal = new AbortController().signal;
    await w.wait(signal);
    w.poke();
    w.poke();
    w.poke();
    expect(await settled(w.wait(signal))).toBe(true);
    expect(await settled(w.wait(signal))).toBe(false);
  });

  it('returns when the signal aborts', async () => {
    const w = new Wakeup();
    const abort = new AbortController();
    await w.wait(abort.signal);
    const pending = w.wait(abort.signal);
    abort.abort();
    await expect(pending).resolves.toBeUndefined();
  });
});
