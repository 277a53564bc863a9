import { describe, expect, it } from 'vitest';
import { done, outcomeOf, requeueAfter, TerminalError } from './result.ts';

describe('outcomeOf', () => {
  it('treats no result and an empty result as success', () => {
    expect(outcomeOf({ result: undefined })).toEqual({ kind: 'success' });
    expect(outcomeOf({ result: done })).toEqual({ kind: 'success' });
    expect(outcomeOf({ result: requeueAfter(0) })).toEqual({ kind: 'success' });
  });

  it('requeues after the requested delay', () => {
    expect(outcomeOf({ result: requeueAfter(1500) })).toEqual({
      kind: 'requeue_after',
      delayMs: 1500,
    });
  });

  it('separates retryable from terminal errors', () => {
    const plain = new Error('boom');
    const terminal = new TerminalError('bad spec');
    expect(outcomeOf({ error: plain })).toEqual({ kind: 'error', error: plain });
    expect(outcomeOf({ error: terminal })).toEqual({ kind: 'terminal_error', error: terminal });
    // A thrown non-Error value is still an error to retry.
    expect(outcomeOf({ error: undefined }).kind).toBe('error');
  });
});
