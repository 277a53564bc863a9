// One contract for every SessionStore (src/backend/session/store.ts), run against the memory
// store and against Redis (a private redis-server). Redis-only behaviour — malformed values,
// authentication, databases, TLS, unreachable servers and restarts — follows the contract.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/backend/session/memory.ts';
import {
  connectRedisStore,
  type RedisSessionStore,
  type RedisStoreOptions,
} from '../../src/backend/session/redis.ts';
import type {
  PendingLogin,
  SessionRecord,
  SessionStore,
  SharedKeys,
} from '../../src/backend/session/store.ts';
import { controlPlane } from '../harness/context.ts';
import { freePort } from '../harness/ports.ts';
import { startRedis, type RedisServer } from '../harness/redis.ts';

/** A store on fresh, empty data, and a way to open another handle on the same data. */
interface OpenedStore {
  store: SessionStore;
  /** What a second replica would have: for Redis a second client, for memory the same store. */
  sibling: () => Promise<SessionStore>;
}

interface StoreOptions {
  maxPendingLogins?: number;
}

interface StoreBackend {
  open(options?: StoreOptions): Promise<OpenedStore>;
  /** Closes every store opened since the last call. */
  closeAll(): Promise<void>;
}

/** Short real lifetimes: Redis expires keys on its own clock, so the tests wait for real. */
const shortTtlMs = 300;
const afterShortTtlMs = 450;

const unique = (): string => randomBytes(8).toString('hex');

function login(tag = unique()): PendingLogin {
  return {
    request: {
      redirect_url: `http://127.0.0.1:1/callback?tag=${tag}`,
      session_id: `SID${tag}`,
      cluster_id: '',
      client_type: 'cli',
      consumer_id: 'consumer-1',
    },
    codeVerifier: randomBytes(32).toString('base64url'),
    nonce: tag,
    browserBinding: randomBytes(32).toString('base64url'),
  };
}

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    key: randomBytes(32).toString('base64url'),
    sessionId: `S${unique()}`,
    subject: 'user-1',
    issuer: 'https://dex.example/dex',
    groups: ['engineering', 'devops'],
    clusterId: '',
    redirectUrl: 'http://127.0.0.1:1/callback',
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

/** Which of `states` still hold a login (taking them). */
async function remainingLogins(store: SessionStore, states: string[]): Promise<string[]> {
  const kept: string[] = [];
  for (const state of states) if (await store.takeLogin(state)) kept.push(state);
  return kept;
}

function newKeys(): SharedKeys {
  return {
    tokenSigning: randomBytes(32),
    cookieSigning: randomBytes(64),
    cookieEncryption: randomBytes(32),
  };
}

function sessionStoreContract(name: string, backend: () => StoreBackend): void {
  describe(`${name}: the SessionStore contract`, () => {
    afterEach(async () => {
      await backend().closeAll();
    });
    const open = async (options?: StoreOptions): Promise<OpenedStore> => backend().open(options);

    it('hand a login out once: the second take finds nothing', async () => {
      const { store } = await open();
      const pending = login();
      await store.putLogin('state-1', pending, 60_000);
      expect(await store.takeLogin('state-1')).toEqual(pending);
      expect(await store.takeLogin('state-1')).toBeUndefined();
      expect(await store.takeLogin('never-stored')).toBeUndefined();
    });

    it('replace a login put again under the same state', async () => {
      const { store } = await open();
      const second = login();
      await store.putLogin('state-1', login(), 60_000);
      await store.putLogin('state-1', second, 60_000);
      expect(await store.takeLogin('state-1')).toEqual(second);
    });

    it('forget a login after its TTL, and only that login', async () => {
      const { store } = await open();
      const lasting = login();
      await store.putLogin('short', login(), shortTtlMs);
      await store.putLogin('long', lasting, 60_000);
      await sleep(afterShortTtlMs);
      expect(await store.takeLogin('short')).toBeUndefined();
      expect(await store.takeLogin('long')).toEqual(lasting);
    });

    it('give a login to exactly one of 20 concurrent takes (two replicas)', async () => {
      const { store, sibling } = await open();
      const other = await sibling();
      const pending = login();
      await store.putLogin('contended', pending, 60_000);
      const takes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).takeLogin('contended')),
      );
      const winners = takes.filter((t) => t !== undefined);
      expect(winners).toEqual([pending]);
    });

    // Issue 16 item 6: /api/authorize is public; what it stores must stay bounded.
    it('keep at most the cap of logins, dropping those closest to expiry first', async () => {
      const { store } = await open({ maxPendingLogins: 5 });
      const states = Array.from({ length: 12 }, (_, i) => `flood-${i}`);
      for (const [i, state] of states.entries()) await store.putLogin(state, login(), 60_000 + i);
      const kept = await remainingLogins(store, states);
      expect(kept).toEqual(states.slice(7));
    });

    it('stay within the cap when two replicas put logins concurrently', async () => {
      const { store, sibling } = await open({ maxPendingLogins: 10 });
      const other = await sibling();
      const states = Array.from({ length: 60 }, (_, i) => `race-${i}`);
      await Promise.all(
        states.map((state, i) => (i % 2 ? other : store).putLogin(state, login(), 60_000)),
      );
      expect((await remainingLogins(store, states)).length).toBeLessThanOrEqual(10);
    });

    it('free a slot when a login is taken, and evict nothing when one is put again', async () => {
      const { store } = await open({ maxPendingLogins: 2 });
      await store.putLogin('a', login(), 60_000);
      await store.putLogin('b', login(), 60_001);
      await store.putLogin('b', login(), 60_002);
      expect(await store.takeLogin('a')).toBeDefined();
      await store.putLogin('c', login(), 60_003);
      expect(await remainingLogins(store, ['a', 'b', 'c'])).toEqual(['b', 'c']);
    });

    it('store and delete sessions; deleting a missing one is fine', async () => {
      const { store, sibling } = await open();
      const first = session();
      expect(await store.createSession(first)).toBe(true);
      expect(await store.getSession(first.key)).toEqual(first);
      expect(await (await sibling()).getSession(first.key)).toEqual(first);

      await store.deleteSession(first.key);
      expect(await store.getSession(first.key)).toBeUndefined();
      await store.deleteSession(first.key);
      expect(await store.getSession('never-stored')).toBeUndefined();
    });

    // Issue 16 item 3: a second login under the same key must not take over the record that
    // tokens and cookies already name (upstream overwrites it: session fixation).
    it('never replace a stored session, not even from another replica', async () => {
      const { store, sibling } = await open();
      const other = await sibling();
      const victim = session({ subject: 'victim' });
      expect(await store.createSession(victim)).toBe(true);
      const attacker = session({ key: victim.key, subject: 'attacker', groups: ['x'] });
      expect(await store.createSession(attacker)).toBe(false);
      expect(await other.createSession(attacker)).toBe(false);
      expect(await store.createSession({ ...attacker, expiresAt: Date.now() - 1 })).toBe(false);
      expect(await other.getSession(victim.key)).toEqual(victim);
    });

    it('give a session key to exactly one of 20 concurrent creates (two replicas)', async () => {
      const { store, sibling } = await open();
      const other = await sibling();
      const key = randomBytes(32).toString('base64url');
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).createSession(session({ key, subject: `user-${i}` })),
        ),
      );
      expect(made.filter(Boolean)).toHaveLength(1);
      const winner = made.indexOf(true);
      expect((await store.getSession(key))?.subject).toBe(`user-${winner}`);
    });

    it('forget a session at its expiresAt', async () => {
      const { store } = await open();
      const now = Date.now();
      const brief = session({ createdAt: now, expiresAt: now + shortTtlMs });
      await store.createSession(brief);
      expect(await store.getSession(brief.key)).toEqual(brief);
      await sleep(afterShortTtlMs);
      expect(await store.getSession(brief.key)).toBeUndefined();
    });

    it('not store an expired session', async () => {
      const { store } = await open();
      const expired = session({ expiresAt: Date.now() - 1 });
      expect(await store.createSession(expired)).toBe(true);
      expect(await store.getSession(expired.key)).toBeUndefined();
    });

    it('hand out copies: changing a returned session changes nothing stored', async () => {
      const { store } = await open();
      const stored = session();
      await store.createSession(stored);
      const got = await store.getSession(stored.key);
      got?.groups.push('system:masters');
      expect(await store.getSession(stored.key)).toEqual(stored);
    });

    it('agree on one set of shared keys when two replicas race, and keep it', async () => {
      const { store, sibling } = await open();
      const other = await sibling();
      const [a, b] = [newKeys(), newKeys()];
      const [gotA, gotB] = await Promise.all([
        store.sharedKeys(() => a),
        other.sharedKeys(() => b),
      ]);
      expect(gotA).toEqual(gotB);
      expect([a, b]).toContainEqual(gotA);

      const later = await (await sibling()).sharedKeys(newKeys);
      expect(later).toEqual(gotA);
      expect(await store.sharedKeys(newKeys)).toEqual(gotA);
    });

    it('answer a ping', async () => {
      const { store } = await open();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

// --- the memory store ---------------------------------------------------------------------------

function memoryBackend(): StoreBackend {
  const opened: MemorySessionStore[] = [];
  return {
    open: (options = {}) => {
      const store = new MemorySessionStore(options);
      opened.push(store);
      // One process's memory is the whole backing: a "second replica" shares this very store.
      return Promise.resolve({ store, sibling: () => Promise.resolve(store) });
    },
    closeAll: async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    },
  };
}

const memory = memoryBackend();
sessionStoreContract('memory', () => memory);

// --- Redis --------------------------------------------------------------------------------------

let baseDir: string;
let plain: RedisServer;
let withPassword: RedisServer;
let withTls: RedisServer;
const password = `pw-${unique()}`;

beforeAll(async () => {
  baseDir = mkdtempSync(join(controlPlane().runDir, 'session-store-'));
  [plain, withPassword, withTls] = await Promise.all([
    startRedis({ baseDir, name: 'redis-plain' }),
    startRedis({ baseDir, name: 'redis-password', password }),
    startRedis({ baseDir, name: 'redis-tls', tls: true }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([plain, withPassword, withTls].map((r) => r.stop()));
});

/** Log lines (parsed) of a pino logger that writes into an array. */
function capturingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

/** Redis stores on `server`, each test with its own key prefix; all closed by closeAll(). */
function redisBackend(server: () => RedisServer): StoreBackend & {
  connect(overrides?: Partial<RedisStoreOptions>): Promise<RedisSessionStore>;
} {
  const opened: RedisSessionStore[] = [];
  const connect = async (overrides: Partial<RedisStoreOptions> = {}) => {
    const store = await connectRedisStore({
      address: server().address,
      database: 0,
      keyPrefix: `t-${unique()}:`,
      connectTimeoutMs: 2_000,
      ...overrides,
    });
    opened.push(store);
    return store;
  };
  return {
    connect,
    open: async (options = {}) => {
      const keyPrefix = `t-${unique()}:`;
      return {
        store: await connect({ keyPrefix, ...options }),
        sibling: () => connect({ keyPrefix, ...options }),
      };
    },
    closeAll: async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    },
  };
}

const redis = redisBackend(() => plain);
sessionStoreContract('Redis', () => redis);

describe('Redis store beyond the contract', () => {
  afterEach(async () => {
    await redis.closeAll();
  });

  it('treat malformed values as missing, with a warning, and replace malformed keys', async () => {
    const keyPrefix = `t-${unique()}:`;
    const { log, lines } = capturingLog();
    const store = await connectRedisStore(
      { address: plain.address, database: 0, keyPrefix, connectTimeoutMs: 2_000 },
      log,
    );
    const raw = createClient({ socket: { host: '127.0.0.1', port: port(plain) } });
    await raw.connect();
    try {
      await raw.set(`${keyPrefix}login:not-json`, '{"request":');
      await raw.set(`${keyPrefix}login:wrong-shape`, JSON.stringify({ ...login(), nonce: 7 }));
      await raw.set(`${keyPrefix}session:array`, '[]');
      const missingGroups = { ...session(), groups: 'engineering' };
      await raw.set(`${keyPrefix}session:no-groups`, JSON.stringify(missingGroups));
      await raw.set(`${keyPrefix}keys`, JSON.stringify({ tokenSigning: 'c2hvcnQ=' }));

      expect(await store.takeLogin('not-json')).toBeUndefined();
      expect(await store.takeLogin('wrong-shape')).toBeUndefined();
      expect(await store.getSession('array')).toBeUndefined();
      expect(await store.getSession('no-groups')).toBeUndefined();
      const generated = newKeys();
      expect(await store.sharedKeys(() => generated)).toEqual(generated);
      expect(await store.sharedKeys(newKeys)).toEqual(generated);

      const warned = lines.filter((l) => l['msg'] === 'ignoring a malformed value in Redis');
      expect(warned.map((l) => l['key'])).toEqual([
        `${keyPrefix}login:not-json`,
        `${keyPrefix}login:wrong-shape`,
        `${keyPrefix}session:array`,
        `${keyPrefix}session:no-groups`,
        `${keyPrefix}keys`,
      ]);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('write JSON under the documented keys, with TTLs', async () => {
    const keyPrefix = `t-${unique()}:`;
    const store = await redis.connect({ keyPrefix });
    const raw = createClient({ socket: { host: '127.0.0.1', port: port(plain) } });
    await raw.connect();
    try {
      const stored = session();
      await store.putLogin('st', login(), 60_000);
      await store.createSession(stored);
      await store.sharedKeys(newKeys);
      const sessionKey = `${keyPrefix}session:${stored.key}`;
      expect(JSON.parse((await raw.get(sessionKey)) ?? 'null')).toEqual(stored);
      expect(await raw.pTTL(`${keyPrefix}login:st`)).toBeGreaterThan(59_000);
      // The index of logins in flight (the cap) lives as long as its longest-lived login.
      expect(await raw.zRange(`${keyPrefix}logins`, 0, -1)).toEqual(['st']);
      expect(await raw.pTTL(`${keyPrefix}logins`)).toBeGreaterThan(59_000);
      await store.takeLogin('st');
      expect(await raw.zCard(`${keyPrefix}logins`)).toBe(0);
      expect(await raw.pTTL(sessionKey)).toBeGreaterThan(59_000);
      expect(await raw.pTTL(`${keyPrefix}keys`)).toBe(-1);
    } finally {
      await raw.close();
    }
  });

  it('authenticate with the password, and reject a wrong or missing one naming the address', async () => {
    const connect = (pw?: string) =>
      redis.connect({ address: withPassword.address, ...(pw !== undefined && { password: pw }) });
    await expect((await connect(password)).ping()).resolves.toBeUndefined();
    const address = withPassword.address.replaceAll('.', '\\.');
    await expect(connect('wrong')).rejects.toThrow(
      new RegExp(`cannot connect to Redis at ${address}: WRONGPASS`),
    );
    await expect(connect()).rejects.toThrow(new RegExp(`Redis at ${address}: NOAUTH`));
  });

  it('keep databases apart', async () => {
    const keyPrefix = `t-${unique()}:`;
    const [one, two] = [
      await redis.connect({ keyPrefix, database: 1 }),
      await redis.connect({ keyPrefix, database: 2 }),
    ];
    const stored = session();
    await one.createSession(stored);
    expect(await two.getSession(stored.key)).toBeUndefined();
    expect(await one.getSession(stored.key)).toEqual(stored);
  });

  it('reject at once when nothing listens at the address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    await expect(redis.connect({ address })).rejects.toThrow(
      `cannot connect to Redis at ${address}: connect ECONNREFUSED`,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('give up within the connect timeout when the server never answers', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      await expect(
        redis.connect({ address: silent.address, connectTimeoutMs: 500 }),
      ).rejects.toThrow(`cannot connect to Redis at ${silent.address}: no answer within 500 ms`);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await silent.close();
    }
  });

  it('fail fast while Redis is down, and reconnect when it is back', async () => {
    const server = await startRedis({ baseDir, name: 'redis-restart' });
    try {
      const { log, lines } = capturingLog();
      const store = await connectRedisStore(
        { address: server.address, database: 0, keyPrefix: 'r:', connectTimeoutMs: 1_000 },
        log,
      );
      await store.createSession(session());
      await server.restart(async () => {
        const started = Date.now();
        await expect(store.getSession('any')).rejects.toThrow(`Redis at ${server.address}`);
        await expect(store.ping()).rejects.toThrow(`Redis at ${server.address}`);
        expect(Date.now() - started).toBeLessThan(1_000);
      });
      await eventually(() => store.ping());
      // No persistence: the data is gone, but the store works again.
      const fresh = session();
      await store.createSession(fresh);
      expect(await store.getSession(fresh.key)).toEqual(fresh);
      const messages = lines.map((l) => l['msg']);
      expect(messages).toContain('lost the connection to Redis; reconnecting');
      expect(messages).toContain('reconnected to Redis');
      await store.close();
    } finally {
      await server.stop();
    }
  });

  it('speak TLS, trusting the given CA, and reject an untrusted server certificate', async () => {
    const store = await redis.connect({
      address: withTls.address,
      tls: { caPem: withTls.caPem ?? '' },
    });
    const stored = session();
    await store.createSession(stored);
    expect(await store.getSession(stored.key)).toEqual(stored);

    await expect(redis.connect({ address: withTls.address, tls: {} })).rejects.toThrow(
      `cannot connect to Redis at ${withTls.address}: self-signed certificate in certificate chain`,
    );
  });
});

function port(server: RedisServer): number {
  return Number(server.address.split(':')[1]);
}

/** Retries `check` until it resolves, for up to 10 s. */
async function eventually(check: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    address: `127.0.0.1:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
