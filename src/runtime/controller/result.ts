// The reconcile contract. Reconciliation is level-based: a request is only a key, and the
// reconciler says what should happen next:
//   - return nothing (or {}): done; the key's backoff is forgotten.
//   - return { requeueAfterMs }: look again after that time (polling), not an error.
//   - throw: retry with per-key exponential backoff.
//   - throw TerminalError: the input is wrong and retrying cannot help; logged, counted, dropped.

export interface Result {
  /** Reconcile this key again after this many milliseconds. */
  requeueAfterMs?: number;
}

export const done: Result = Object.freeze({});

export function requeueAfter(ms: number): Result {
  return { requeueAfterMs: ms };
}

/** An error that retrying will not fix (e.g. an invalid spec). The cause is kept for logs. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export type Outcome =
  | { kind: 'success' }
  | { kind: 'requeue_after'; delayMs: number }
  | { kind: 'error'; error: unknown }
  | { kind: 'terminal_error'; error: unknown };

/** Maps what a reconcile returned or threw to what the controller does next. */
export function outcomeOf(settled: { result?: Result | undefined; error?: unknown }): Outcome {
  if ('error' in settled) {
    return settled.error instanceof TerminalError
      ? { kind: 'terminal_error', error: settled.error }
      : { kind: 'error', error: settled.error };
  }
  const delayMs = settled.result?.requeueAfterMs ?? 0;
  return delayMs > 0 ? { kind: 'requeue_after', delayMs } : { kind: 'success' };
}
