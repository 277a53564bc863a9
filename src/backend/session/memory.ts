// The in-memory session store: the default for a single replica. Nothing survives a restart and
// nothing is shared, so with it every replica has its own logins, sessions and keys.
//
// Memory is bounded two ways, because /api/authorize is public and anyone can make it store a
// login: expired entries are dropped (on read, and by a periodic sweep so that entries nobody
// reads again go too), and each kind of entry is capped (logins at `maxPendingLogins`, sessions
// at `maxEntries`). When
// a new entry would exceed the cap, expired entries are swept first; if that is not enough, the
// tenth of the entries closest to expiry (the oldest, when all have the same lifetime) is dropped
// in one go, so that a flood of logins costs one sort per tenth of the cap, not one per login.
// A flood of logins therefore evicts other logins in flight, but never a logged-in session.
import {
  defaultMaxPendingLogins,
  type PendingLogin,
  type SessionRecord,
  type SessionStore,
  type SharedKeys,
} from './store.ts';

export interface MemorySessionStoreOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: { now(): number };
  /** The most sessions kept at once (default 50 000); also caps logins unless given below. */
  maxEntries?: number;
  /** The most logins in flight kept at once (default the smaller of 10 000 and maxEntries). */
  maxPendingLogins?: number;
  /** How often expired entries are swept (default one minute). */
  sweepIntervalMs?: number;
}

const defaultMaxEntries = 50_000;
const defaultSweepIntervalMs = 60_000;
/** The share of the cap dropped at once when the cap is reached with nothing expired. */
const evictionFraction = 0.1;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** One kind of entry (logins or sessions): a map with expiry and a size cap. */
class ExpiringMap<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAt: number, now: number): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) this.#makeRoom(now);
    // Delete first so that the map's order stays the order of the latest writes.
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  #makeRoom(now: number): void {
    this.sweep(now);
    if (this.#entries.size < this.#maxEntries) return;
    const count = Math.max(1, Math.ceil(this.#maxEntries * evictionFraction));
    // A stable sort: among equal expiries the oldest write goes first.
    const closestToExpiry = [...this.#entries]
      .sort(([, a], [, b]) => a.expiresAt - b.expiresAt)
      .slice(0, count);
    for (const [key] of closestToExpiry) this.#entries.delete(key);
  }
}

export class MemorySessionStore implements SessionStore {
  readonly #clock: { now(): number };
  readonly #logins: ExpiringMap<PendingLogin>;
  readonly #sessions: ExpiringMap<SessionRecord>;
  readonly #sweeper: NodeJS.Timeout;
  /** Generated on first use; one store per process makes these the process's keys. */
  #keys: SharedKeys | undefined;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#clock = options.clock ?? { now: () => Date.now() };
    const maxEntries = positive('maxEntries', options.maxEntries ?? defaultMaxEntries);
    const maxLogins = positive(
      'maxPendingLogins',
      options.maxPendingLogins ?? Math.min(maxEntries, defaultMaxPendingLogins),
    );
    this.#logins = new ExpiringMap(maxLogins);
    this.#sessions = new ExpiringMap(maxEntries);
    this.#sweeper = setInterval(() => {
      this.sweep();
    }, options.sweepIntervalMs ?? defaultSweepIntervalMs);
    // The sweep is housekeeping: it must not keep the process alive.
    this.#sweeper.unref();
  }

  /** How many entries are held, expired or not (for tests and metrics). */
  get size(): { logins: number; sessions: number } {
    return { logins: this.#logins.size, sessions: this.#sessions.size };
  }

  /** Drops every expired entry; runs periodically on its own. */
  sweep(): void {
    const now = this.#clock.now();
    this.#logins.sweep(now);
    this.#sessions.sweep(now);
  }

  putLogin(state: string, login: PendingLogin, ttlMs: number): Promise<void> {
    const now = this.#clock.now();
    // A login that is dead on arrival replaces the old one by removing it.
    if (!(ttlMs > 0)) this.#logins.delete(state);
    else this.#logins.set(state, structuredClone(login), now + ttlMs, now);
    return Promise.resolve();
  }

  takeLogin(state: string): Promise<PendingLogin | undefined> {
    // Get and delete run without an await in between: no other take can interleave.
    const login = this.#logins.get(state, this.#clock.now());
    this.#logins.delete(state);
    return Promise.resolve(login);
  }

  createSession(session: SessionRecord): Promise<boolean> {
    const now = this.#clock.now();
    // A stored record never changes (and is never replaced by another subject's).
    if (this.#sessions.get(session.key, now) !== undefined) return Promise.resolve(false);
    if (session.expiresAt > now) {
      this.#sessions.set(session.key, structuredClone(session), session.expiresAt, now);
    }
    return Promise.resolve(true);
  }

  getSession(key: string): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(key, this.#clock.now());
    // A copy: callers must not be able to change the stored record by mutating the result.
    return Promise.resolve(session && structuredClone(session));
  }

  deleteSession(key: string): Promise<void> {
    this.#sessions.delete(key);
    return Promise.resolve();
  }

  sharedKeys(generate: () => SharedKeys): Promise<SharedKeys> {
    this.#keys ??= copyKeys(generate());
    return Promise.resolve(copyKeys(this.#keys));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    return Promise.resolve();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}

function copyKeys(keys: SharedKeys): SharedKeys {
  return {
    tokenSigning: Buffer.from(keys.tokenSigning),
    cookieSigning: Buffer.from(keys.cookieSigning),
    cookieEncryption: Buffer.from(keys.cookieEncryption),
  };
}
