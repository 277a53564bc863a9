import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('keeps order across interleaved pushes and shifts', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) fifo.push(next++);
      for (let i = 0; i < 5; i++) out.push(fifo.shift() ?? -1);
    }
    while (fifo.length > 0) out.push(fifo.shift() ?? -1);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
  });

  it('counts what is left', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    fifo.push('b');
    fifo.shift();
    expect(fifo.length).toBe(1);
  });
});
