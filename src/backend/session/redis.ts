// The Redis session store: logins in flight, sessions and the shared keys live in one Redis, so
// every replica behind a load balancer sees the same ones. We do not share data with upstream Go
// replicas, so values are JSON (not upstream's msgpack) under our own key prefix:
//
//   <prefix>login:<state>    a PendingLogin, expiring after its TTL
//   <prefix>logins           sorted set of the states in flight, scored by expiry (ms): the cap
//   <prefix>session:<key>    a SessionRecord, expiring at its expiresAt; written once (SET NX)
//   <prefix>keys             the SharedKeys (base64), written once with SET NX, never expiring
//
// /api/authorize is public, so logins in flight are capped (maxPendingLogins): one Lua script
// drops expired members of the index, evicts the logins closest to expiry when the new one
// would exceed the cap, and stores the new one, atomically, so replicas racing cannot overshoot.
// Taking a login (GET + DEL + ZREM) is one script too: of concurrent takes exactly one wins.
//
// Needs Redis 5 or newer (ZPOPMIN). A value that is not valid JSON of the expected shape (a
// foreign writer, a format change) counts as missing: it is logged, never thrown at the caller.
import type { Logger } from 'pino';
import { createClient } from 'redis';
import {
  defaultMaxPendingLogins,
  type PendingLogin,
  type SessionRecord,
  type SessionStore,
  type SharedKeys,
} from './store.ts';

export interface RedisStoreOptions {
  /** host:port; an IPv6 host in brackets, e.g. `[::1]:6379`. */
  address: string;
  /** ACL user; without it, the `default` user (or the password alone, `--requirepass`). */
  username?: string;
  password?: string;
  /** The database number (SELECT). */
  database: number;
  /** Connect over TLS: against the system CAs, or `caPem` when given. */
  tls?: { caPem?: string; serverName?: string };
  /** Prepended to every key, e.g. `kube-bind-ts:` (defaultRedisKeyPrefix). */
  keyPrefix: string;
  /** Bound on connecting at start-up (and on each reconnect attempt); default 5 s. */
  connectTimeoutMs?: number;
  /** The most logins in flight kept at once (default defaultMaxPendingLogins). */
  maxPendingLogins?: number;
}

/** What the backend uses unless told otherwise. */
export const defaultRedisKeyPrefix = 'kube-bind-ts:';

type StoreLog = Pick<Logger, 'warn' | 'info' | 'debug'>;

const defaultConnectTimeoutMs = 5_000;
/** A command that gets no answer (a hung server) fails after this instead of hanging a request. */
const commandTimeoutMs = 5_000;
/** Reconnects after start-up: 100 ms doubling up to 5 s, plus up to half of that at random. */
const reconnectInitialMs = 100;
const reconnectMaxMs = 5_000;

/** Connects to Redis and checks it with a PING; rejects (never hangs) when it cannot. */
export function connectRedisStore(
  options: RedisStoreOptions,
  log?: StoreLog,
): Promise<RedisSessionStore> {
  return RedisSessionStore.connect(options, log);
}

type RedisClient = ReturnType<typeof createRedisClient>;

function createRedisClient(options: RedisStoreOptions, isStarted: () => boolean) {
  const { host, port } = parseAddress(options.address);
  const connectTimeout = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const tls = options.tls;
  return createClient({
    socket: {
      host,
      port,
      connectTimeout,
      // At start-up a failure is reported at once (the caller decides); afterwards the client
      // keeps reconnecting, while operations fail fast (disableOfflineQueue) with an Error.
      reconnectStrategy: (retries) => isStarted() && reconnectDelayMs(retries),
      ...(tls && {
        tls: true as const,
        ...(tls.caPem !== undefined && { ca: tls.caPem }),
        ...(tls.serverName !== undefined && { servername: tls.serverName }),
      }),
    },
    ...(options.username !== undefined && { username: options.username }),
    ...(options.password !== undefined && { password: options.password }),
    database: options.database,
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
    maintNotifications: 'disabled',
  });
}

function reconnectDelayMs(retries: number): number {
  const base = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(retries, 16));
  return Math.round(base * (1 + 0.5 * Math.random()));
}

export class RedisSessionStore implements SessionStore {
  readonly #client: RedisClient;
  readonly #address: string;
  readonly #prefix: string;
  readonly #maxPendingLogins: number;
  readonly #log: StoreLog | undefined;
  #started = false;
  #connectionLost = false;
  #closed = false;

  private constructor(options: RedisStoreOptions, log: StoreLog | undefined) {
    this.#address = options.address;
    this.#prefix = options.keyPrefix;
    this.#maxPendingLogins = options.maxPendingLogins ?? defaultMaxPendingLogins;
    if (!Number.isSafeInteger(this.#maxPendingLogins) || this.#maxPendingLogins < 1) {
      throw new Error(`maxPendingLogins must be a positive integer, not ${this.#maxPendingLogins}`);
    }
    this.#log = log;
    this.#client = createRedisClient(options, () => this.#started);
    // Without an 'error' listener a lost connection would crash the process.
    this.#client.on('error', (err: unknown) => {
      this.#onConnectionError(err);
    });
    this.#client.on('ready', () => {
      this.#onReady();
    });
  }

  static async connect(options: RedisStoreOptions, log?: StoreLog): Promise<RedisSessionStore> {
    const store = new RedisSessionStore(options, log);
    const timeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
    try {
      await withDeadline(
        store.#client.connect().then(() => store.#client.ping()),
        timeoutMs,
        `no answer within ${timeoutMs} ms`,
      );
    } catch (err) {
      store.#client.destroy();
      throw new Error(`cannot connect to Redis at ${options.address}: ${describe(err)}`, {
        cause: err,
      });
    }
    store.#started = true;
    log?.info({ address: options.address, database: options.database }, 'connected to Redis');
    return store;
  }

  async putLogin(state: string, login: PendingLogin, ttlMs: number): Promise<void> {
    const keys = [`${this.#prefix}logins`, this.#key('login', state)];
    // A login that is dead on arrival (no positive TTL) replaces the old one by removing it.
    const ttl = ttlMs > 0 ? String(Math.max(1, Math.ceil(ttlMs))) : '0';
    const args = [
      state,
      JSON.stringify(login),
      ttl,
      String(Date.now()),
      String(this.#maxPendingLogins),
      this.#key('login', ''),
    ];
    await this.#run('store a login', () =>
      this.#client.eval(putLoginScript, { keys, arguments: args }),
    );
  }

  async takeLogin(state: string): Promise<PendingLogin | undefined> {
    const key = this.#key('login', state);
    const raw = await this.#run('take a login', () =>
      this.#client.eval(takeLoginScript, {
        keys: [key, `${this.#prefix}logins`],
        arguments: [state],
      }),
    );
    return this.#decode(key, typeof raw === 'string' ? raw : null, toPendingLogin);
  }

  async createSession(session: SessionRecord): Promise<boolean> {
    const key = this.#key('session', session.key);
    const ttlMs = session.expiresAt - Date.now();
    return this.#run('store a session', async () => {
      // Never replaces a stored record (NX); an expired session is not stored.
      if (!(ttlMs > 0)) return (await this.#client.exists(key)) === 0;
      const set = await this.#client.set(key, JSON.stringify(session), {
        ...px(ttlMs),
        condition: 'NX',
      });
      return set === 'OK';
    });
  }

  async getSession(sessionKey: string): Promise<SessionRecord | undefined> {
    const key = this.#key('session', sessionKey);
    const raw = await this.#run('read a session', () => this.#client.get(key));
    const session = this.#decode(key, raw, toSessionRecord);
    // Redis expires the key itself; this covers clocks of replicas that disagree a little.
    return session && session.expiresAt > Date.now() ? session : undefined;
  }

  async deleteSession(sessionKey: string): Promise<void> {
    const key = this.#key('session', sessionKey);
    await this.#run('delete a session', () => this.#client.del(key));
  }

  async sharedKeys(generate: () => SharedKeys): Promise<SharedKeys> {
    const key = `${this.#prefix}keys`;
    let candidate: string | undefined;
    // Usually: GET (missing) → SET NX → GET (the winner's keys); once stored, one GET. More
    // rounds only when another writer keeps changing the key under us.
    for (let round = 0; round < 3; round++) {
      const raw = await this.#run('read the shared keys', () => this.#client.get(key));
      const keys = this.#decode(key, raw, toSharedKeys);
      if (keys) return keys;
      candidate ??= JSON.stringify(encodeKeys(generate()));
      const value = candidate;
      await this.#run('store the shared keys', () =>
        raw === null
          ? this.#client.set(key, value, { condition: 'NX' })
          : // Unusable keys are replaced, but only if nobody replaced them first.
            this.#client.eval(replaceIfUnchanged, { keys: [key], arguments: [raw, value] }),
      );
    }
    throw new Error(`Redis at ${this.#address}: the shared keys at ${key} keep changing`);
  }

  async ping(): Promise<void> {
    await this.#run('answer a ping', () => this.#client.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.isReady) {
      try {
        await this.#client.close(); // lets commands in flight finish
        return;
      } catch {
        // Fall through: whatever is left is torn down.
      }
    }
    this.#client.destroy();
  }

  #key(kind: 'login' | 'session', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  /** Runs one operation; its failure becomes an Error that names Redis and what failed. */
  async #run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw new Error(`Redis at ${this.#address} could not ${what}: ${describe(err)}`, {
        cause: err,
      });
    }
  }

  /** The value under `key`, or undefined when it is missing or unusable (logged). */
  #decode<T>(key: string, raw: string | null, convert: (value: unknown) => T): T | undefined {
    if (raw === null) return undefined;
    try {
      return convert(JSON.parse(raw));
    } catch (err) {
      this.#log?.warn({ key, reason: describe(err) }, 'ignoring a malformed value in Redis');
      return undefined;
    }
  }

  #onConnectionError(err: unknown): void {
    // The client reports every failed reconnect attempt; one warning per outage is enough.
    if (this.#started && !this.#closed && !this.#connectionLost) {
      this.#connectionLost = true;
      this.#log?.warn(
        { address: this.#address, reason: describe(err) },
        'lost the connection to Redis; reconnecting',
      );
    } else {
      this.#log?.debug({ address: this.#address, reason: describe(err) }, 'Redis connection error');
    }
  }

  #onReady(): void {
    if (!this.#connectionLost) return;
    this.#connectionLost = false;
    this.#log?.info({ address: this.#address }, 'reconnected to Redis');
  }
}

/**
 * Lua: store a login under the cap. KEYS: the index (sorted set), the login's key. ARGV: state,
 * value, TTL ms ("0": just remove), now ms, cap, the prefix of login keys. Expired members of
 * the index go first; then, if the state is new and the index is full, the members closest to
 * expiry are evicted with their logins. The index lives as long as its longest-lived login.
 */
const putLoginScript = `
local ttl = tonumber(ARGV[3])
if ttl <= 0 then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
local now = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5]) + 1
  if excess > 0 then
    local evicted = redis.call('ZPOPMIN', KEYS[1], excess)
    for i = 1, #evicted, 2 do
      redis.call('DEL', ARGV[6] .. evicted[i])
    end
  end
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1`;

/** Lua: take a login once (GET + DEL) and drop it from the index. KEYS: login, index. */
const takeLoginScript = `
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
return value`;

/** Lua: replace the value only if it is still the one we read (compare-and-set). */
const replaceIfUnchanged = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2])
end
return false`;

function px(ttlMs: number): { expiration: { type: 'PX'; value: number } } {
  return { expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } };
}

function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !(port >= 1 && port <= 65535)) {
    throw new Error(`invalid Redis address "${address}": want host:port`);
  }
  return { host, port };
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

/** A one-line reason; Node's connection errors to several addresses are AggregateErrors. */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.message === '') {
    return err.errors.map(describe).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}

// Decoding: each converter returns a clean object (no stray fields) or throws why not.

class ShapeError extends Error {}

function toPendingLogin(value: unknown): PendingLogin {
  const v = object(value, 'login');
  const r = object(v['request'], 'login.request');
  return {
    request: {
      redirect_url: string(r['redirect_url'], 'request.redirect_url'),
      session_id: string(r['session_id'], 'request.session_id'),
      cluster_id: string(r['cluster_id'], 'request.cluster_id'),
      client_type: string(r['client_type'], 'request.client_type'),
      consumer_id: string(r['consumer_id'], 'request.consumer_id'),
    },
    codeVerifier: string(v['codeVerifier'], 'codeVerifier'),
    nonce: string(v['nonce'], 'nonce'),
    browserBinding: string(v['browserBinding'], 'browserBinding'),
  };
}

function toSessionRecord(value: unknown): SessionRecord {
  const v = object(value, 'session');
  const groups = v['groups'];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new ShapeError('groups is not a list of strings');
  }
  return {
    key: string(v['key'], 'key'),
    sessionId: string(v['sessionId'], 'sessionId'),
    subject: string(v['subject'], 'subject'),
    issuer: string(v['issuer'], 'issuer'),
    groups,
    clusterId: string(v['clusterId'], 'clusterId'),
    redirectUrl: string(v['redirectUrl'], 'redirectUrl'),
    createdAt: time(v['createdAt'], 'createdAt'),
    expiresAt: time(v['expiresAt'], 'expiresAt'),
  };
}

interface EncodedKeys {
  tokenSigning: string;
  cookieSigning: string;
  cookieEncryption: string;
}

function encodeKeys(keys: SharedKeys): EncodedKeys {
  return {
    tokenSigning: keys.tokenSigning.toString('base64'),
    cookieSigning: keys.cookieSigning.toString('base64'),
    cookieEncryption: keys.cookieEncryption.toString('base64'),
  };
}

function toSharedKeys(value: unknown): SharedKeys {
  const v = object(value, 'keys');
  return {
    tokenSigning: key(v['tokenSigning'], 'tokenSigning', [32]),
    cookieSigning: key(v['cookieSigning'], 'cookieSigning', [32, 64]),
    cookieEncryption: key(v['cookieEncryption'], 'cookieEncryption', [16, 24, 32]),
  };
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ShapeError(`${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${what} is not a string`);
  return value;
}

function time(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ShapeError(`${what} is not a number`);
  }
  return value;
}

function key(value: unknown, what: string, lengths: readonly number[]): Buffer {
  const text = string(value, what);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text || !lengths.includes(bytes.length)) {
    throw new ShapeError(`${what} is not base64 of ${lengths.join(' or ')} bytes`);
  }
  return bytes;
}
