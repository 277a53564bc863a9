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

interface StoreBackend {
  open(): Promise<OpenedStore>;
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
  };
}

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
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
    const open = async (): Promise<OpenedStore> => backend().open();

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

    it('store, replace and delete sessions; deleting a missing one is fine', async () => {
      const { store, sibling } = await open();
      const first = session();
      await store.putSession(first);
      expect(await store.getSession(first.sessionId)).toEqual(first);

      const replacement = session({ sessionId: first.sessionId, subject: 'user-2', groups: [] });
      await store.putSession(replacement);
      expect(await (await sibling()).getSession(first.sessionId)).toEqual(replacement);

      await store.deleteSession(first.sessionId);
      expect(await store.getSession(first.sessionId)).toBeUndefined();
      await store.deleteSession(first.sessionId);
      expect(await store.getSession('never-stored')).toBeUndefined();
    });

    it('forget a session at its expiresAt', async () => {
      const { store } = await open();
      const now = Date.now();
      const brief = session({ createdAt: now, expiresAt: now + shortTtlMs });
      await store.putSession(brief);
      expect(await store.getSession(brief.sessionId)).toEqual(brief);
      await sleep(afterShortTtlMs);
      expect(await store.getSession(brief.sessionId)).toBeUndefined();
    });

    it('not store an expired session; it removes one stored under the same id', async () => {
      const { store } = await open();
      const expired = session({ expiresAt: Date.now() - 1 });
      await store.putSession(expired);
      expect(await store.getSession(expired.sessionId)).toBeUndefined();

      const live = session();
      await store.putSession(live);
      await store.putSession({ ...live, expiresAt: Date.now() - 1 });
      expect(await store.getSession(live.sessionId)).toBeUndefined();
    });

    it('hand out copies: changing a returned session changes nothing stored', async () => {
      const { store } = await open();
      const stored = session();
      await store.putSession(stored);
      const got = await store.getSession(stored.sessionId);
      got?.groups.push('system:masters');
      expect(await store.getSession(stored.sessionId)).toEqual(stored);
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
    open: () => {
      const store = new MemorySessionStore();
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
    open: async () => {
      const keyPrefix = `t-${unique()}:`;
      return { store: await connect({ keyPrefix }), sibling: () => connect({ keyPrefix }) };
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
      await store.putSession(stored);
      await store.sharedKeys(newKeys);
      const sessionKey = `${keyPrefix}session:${stored.sessionId}`;
      expect(JSON.parse((await raw.get(sessionKey)) ?? 'null')).toEqual(stored);
      expect(await raw.pTTL(`${keyPrefix}login:st`)).toBeGreaterThan(59_000);
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
    await one.putSession(stored);
    expect(await two.getSession(stored.sessionId)).toBeUndefined();
    expect(await one.getSession(stored.sessionId)).toEqual(stored);
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
      await store.putSession(session());
      await server.restart(async () => {
        const started = Date.now();
        await expect(store.getSession('any')).rejects.toThrow(`Redis at ${server.address}`);
        await expect(store.ping()).rejects.toThrow(`Redis at ${server.address}`);
        expect(Date.now() - started).toBeLessThan(1_000);
      });
      await eventually(() => store.ping());
      // No persistence: the data is gone, but the store works again.
      const fresh = session();
      await store.putSession(fresh);
      expect(await store.getSession(fresh.sessionId)).toEqual(fresh);
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
    await store.putSession(stored);
    expect(await store.getSession(stored.sessionId)).toEqual(stored);

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
