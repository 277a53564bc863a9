// A "something changed" flag a loop waits on: event handlers poke it, the loop waits, then does
// one pass over the current state. Pokes that arrive during a pass are not lost (the next wait
// returns at once), and many pokes make one pass. Starts poked, so the first wait returns.
export class Wakeup {
  #dirty = true;
  #wake: (() => void) | undefined;

  readonly poke = (): void => {
    this.#dirty = true;
    this.#wake?.();
  };

  /** Resolves when poked since the last wait (at once if so) or when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.#dirty || signal.aborted) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.#wake = undefined;
        this.#dirty = false;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
