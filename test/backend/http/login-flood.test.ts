// Issue 16, item 6: unauthenticated memory exhaustion, performed against the real front door
// (embedded issuer, real kube-apiserver) with both session stores. /api/authorize is public and
// stores what it is given for ten minutes: before the fix a 1 MB consumer_id kept about 1.2 MiB
// per request, logins in flight had no cap in Redis (50 000 in memory), and nothing limited how
// fast one client could ask. Now every field is bounded (400), logins in flight are capped
// (--max-pending-logins), and each client address has a token bucket (429).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlane, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { startRedis, type RedisServer } from '../../harness/redis.ts';
import { followUntil, frontDoor, hop, type FrontDoorUnderTest } from './front-door.ts';

let dir: string;
let redis: RedisServer;

beforeAll(async () => {
  await ensureKubeBindCRDs();
  dir = mkdtempSync(join(controlPlane().runDir, 'login-flood-'));
  redis = await startRedis({ baseDir: dir, name: 'redis-login-flood' });
}, 60_000);

afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection (the front door runs in this process). */
function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MiB = 1 << 20;
const loopback = 'http://127.0.0.1:1/callback';

function storeFlags(store: 'memory' | 'redis', prefix: string): string[] {
  return store === 'redis' ? [`--redis-addr=${redis.address}`, `--redis-key-prefix=${prefix}`] : [];
}

/** Runs `count` requests, `width` at a time; their statuses in order. */
async function flood(count: number, width: number, send: (i: number) => Promise<Response>) {
  const statuses: number[] = new Array<number>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        const res = await send(i);
        await res.arrayBuffer();
        statuses[i] = res.status;
      }
    }),
  );
  return statuses;
}

function authorize(door: FrontDoorUnderTest, sessionId: string): string {
  const url = new URL('/api/authorize', door.origin);
  url.searchParams.set('redirect_url', loopback);
  url.searchParams.set('session_id', sessionId);
  url.searchParams.set('client_type', 'cli');
  return url.href;
}

/** The keys of logins in flight under `prefix` in the test Redis. */
async function loginKeys(prefix: string): Promise<number> {
  const raw = createClient({
    socket: { host: '127.0.0.1', port: Number(redis.address.split(':')[1]) },
  });
  await raw.connect();
  try {
    let count = 0;
    for await (const keys of raw.scanIterator({ MATCH: `${prefix}login:*`, COUNT: 1000 })) {
      count += keys.length;
    }
    return count;
  } finally {
    await raw.close();
  }
}

for (const store of ['memory', 'redis'] as const) {
  describe(`a flood of /api/authorize with the ${store} session store`, () => {
    it('refuses long fields with 400 and keeps nothing of them', async () => {
      const prefix = `fl${uniqueSuffix()}-`;
      const door = await frontDoor(await kubeAdmin(), [
        '--login-rate-limit=0',
        ...storeFlags(store, prefix),
      ]);
      const before = retainedHeap();
      const consumerId = 'c'.repeat(1_000_000);
      const statuses = await flood(100, 8, () =>
        fetch(`${door.origin}/api/authorize`, {
          method: 'POST',
          redirect: 'manual',
          body: JSON.stringify({
            redirect_url: loopback,
            session_id: 'FLOODSESSION00000000000000',
            client_type: 'cli',
            consumer_id: consumerId,
          }),
        }),
      );
      const grown = (retainedHeap() - before) / MiB;
      expect(new Set(statuses)).toEqual(new Set([400]));
      const one = await fetch(`${door.origin}/api/authorize`, {
        method: 'POST',
        redirect: 'manual',
        body: JSON.stringify({ redirect_url: loopback, session_id: 'S', consumer_id: consumerId }),
      });
      expect(await one.json()).toMatchObject({
        kind: 'Error',
        code: 'BAD_REQUEST',
        message: 'invalid consumer_id',
        details: 'consumer_id: it is longer than 256 characters',
      });
      // A query string too long for the header limit is refused before any handler runs.
      const longQuery = await hop(`${authorize(door, 'S')}&consumer_id=${'c'.repeat(20_000)}`);
      expect(longQuery.status).toBe(431);
      console.log(`${store}: heap retained after 100 × 1 MB consumer_id: ${grown.toFixed(1)} MiB`);
      expect(grown).toBeLessThan(16);
      if (store === 'redis') expect(await loginKeys(prefix)).toBe(0);
    }, 120_000);

    it('caps logins in flight: the flood evicts, the count stays at the cap', async () => {
      const prefix = `fc${uniqueSuffix()}-`;
      const door = await frontDoor(await kubeAdmin(), [
        '--login-rate-limit=0',
        '--max-pending-logins=50',
        ...storeFlags(store, prefix),
      ]);
      // A login started before the flood, in its own browser.
      const jar = new Map<string, string>();
      const first = await hop(authorize(door, 'BEFOREFLOOD000000000000000'));
      const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      const toIssuer = first.headers.get('location') ?? '';
      jar.set(`${door.origin} ${cookie.split('=')[0] ?? ''}`, cookie.split('=')[1] ?? '');

      const statuses = await flood(500, 8, (i) =>
        hop(authorize(door, `FLOOD${String(i).padStart(21, '0')}`)),
      );
      expect(new Set(statuses)).toEqual(new Set([302]));
      if (store === 'redis') {
        const keys = await loginKeys(prefix);
        console.log(`redis: login keys after 501 logins with --max-pending-logins=50: ${keys}`);
        expect(keys).toBe(50);
      }
      // The oldest login was evicted: its callback finds nothing (the flood cost it its login,
      // not the backend its memory).
      const callback = await followUntil(toIssuer, `${door.origin}/api/callback?`, jar);
      const res = await hop(callback.href, { headers: { cookie } });
      expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([
        400,
        'Unknown or expired login',
      ]);
      // A login started now still works.
      const back = await followUntil(authorize(door, 'AFTERFLOOD0000000000000000'), loopback);
      expect(back.searchParams.get('access_token')).toBeTruthy();
    }, 120_000);

    it('limits each client address: past the burst, 429 with Retry-After', async () => {
      const prefix = `fr${uniqueSuffix()}-`;
      const door = await frontDoor(await kubeAdmin(), [
        '--login-rate-limit=60',
        '--login-rate-burst=10',
        ...storeFlags(store, prefix),
      ]);
      const statuses = await flood(40, 4, (i) =>
        hop(authorize(door, `RATE${String(i).padStart(22, '0')}`)),
      );
      expect(statuses.filter((s) => s === 302)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(30);
      const limited = await hop(`${door.origin}/api/callback?state=x&code=y`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await limited.json()).toMatchObject({
        kind: 'Error',
        code: 'TOO_MANY_REQUESTS',
        message: 'Too many login requests',
      });
      // Other routes are not limited.
      expect((await fetch(`${door.origin}/api/exports`)).status).toBe(200);
      if (store === 'redis') expect(await loginKeys(prefix)).toBeLessThanOrEqual(10);
    }, 120_000);
  });
}
