// A per-client token bucket for the public login routes (/api/authorize, /api/callback): each
// request costs one token, a bucket holds `burst` tokens and refills at `perMinute`. Anyone can
// call these routes, and each authorize stores a pending login, so one client must not be able
// to flood them.
//
// Clients are told apart by the socket's address: the backend has no trusted-proxy setting, so a
// forwarded-for header cannot be believed (behind a reverse proxy, every client shares the
// proxy's bucket; raise the limit or turn it off there). IPv6 clients are grouped by their /64,
// which one subscriber usually holds whole. The number of buckets is bounded too: full buckets
// carry no information and are dropped first, then the least recently used ones.
import { isIPv6 } from 'node:net';

export interface RateLimit {
  /** Tokens added per minute; 0 turns the limit off. */
  perMinute: number;
  /** Bucket size: how many requests a client may send at once. */
  burst: number;
}

export interface RateLimiterOptions extends RateLimit {
  clock: { now(): number };
  /** Most clients tracked at once (default 50 000, about 5 MiB). */
  maxClients?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (ms). */
  at: number;
}

const defaultMaxClients = 50_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #clock: { now(): number };
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxClients: number;

  constructor(options: RateLimiterOptions) {
    if (!(options.perMinute > 0) || !(options.burst >= 1)) {
      throw new Error('a rate limit needs a positive rate and a burst of at least 1');
    }
    this.#clock = options.clock;
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#maxClients = options.maxClients ?? defaultMaxClients;
  }

  /** How many clients are tracked (for tests). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token from the client's bucket, or says how long until one is there. */
  take(client: string): RateDecision {
    const now = this.#clock.now();
    const bucket = this.#refilled(client, now);
    // Re-inserted, so that the map's order is least recently used first.
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.#perMs / 1000),
    };
  }

  #refilled(client: string, now: number): Bucket {
    const bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxClients) this.#makeRoom(now);
      return { tokens: this.#burst, at: now };
    }
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(this.#burst, bucket.tokens + elapsed * this.#perMs), at: now };
  }

  #makeRoom(now: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.#burst) {
        this.#buckets.delete(client);
      }
    }
    // Still full: the least recently used tenth goes.
    if (this.#buckets.size < this.#maxClients) return;
    let drop = Math.max(1, Math.ceil(this.#maxClients / 10));
    for (const client of this.#buckets.keys()) {
      if (drop-- <= 0) break;
      this.#buckets.delete(client);
    }
  }
}

/** The bucket a socket address belongs to: IPv4 as is (also IPv4-mapped IPv6), IPv6 by /64. */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, zone id dropped. */
function expandIPv6(address: string): string[] {
  const [plain = ''] = address.split('%');
  const [head = '', tail] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
  return [...left, ...zeros, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
