// Capped exponential backoff with jitter, for loops that retry forever (watch restarts, lease
// renewal). Randomness is injected so tests can pin it.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Each delay is stretched by up to this fraction (0.5 → ×[1, 1.5)). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  #current: number;

  constructor(opts: BackoffOptions) {
    this.#opts = { factor: 2, jitter: 0.5, random: Math.random, ...opts };
    this.#current = opts.initialMs;
  }

  /** The next delay; each call grows the following one up to the cap. */
  next(): number {
    const { maxMs, factor, jitter, random } = this.#opts;
    const base = this.#current;
    this.#current = Math.min(maxMs, base * factor);
    return Math.round(Math.min(maxMs, base) * (1 + jitter * random()));
  }

  reset(): void {
    this.#current = this.#opts.initialMs;
  }
}
