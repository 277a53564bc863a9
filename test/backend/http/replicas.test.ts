// Several replicas behind a load balancer (issue 6, item 4; spec README item 3): two front doors
// share one Redis, the real dex is the IdP, and a round-robin balancer sends every request of one
// login to the other replica than the one before. The login completes, the CLI token issued by
// one replica works on both, and a replica restarted mid-login loses nothing.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlane, kubeAdmin } from '../../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../../harness/dex.ts';
import { freePort } from '../../harness/ports.ts';
import { startRedis, type RedisServer } from '../../harness/redis.ts';
import { startRoundRobin, type RoundRobin } from '../../harness/round-robin.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { followUntil, frontDoor, hop, type FrontDoorUnderTest } from './front-door.ts';

let dex: Dex;
let redis: RedisServer;
let balancer: RoundRobin;
let lbPort: number;

beforeAll(ensureKubeBindCRDs);

beforeAll(async () => {
  const dir = mkdtempSync(join(controlPlane().runDir, 'replicas-'));
  lbPort = await freePort();
  dex = await startDex({
    baseDir: dir,
    name: 'dex-replicas',
    clients: [defaultDexClient([`http://127.0.0.1:${lbPort}/api/callback`])],
  });
  redis = await startRedis({ baseDir: dir });
}, 120_000);

afterAll(async () => {
  await balancer.close();
  await dex.stop();
  await redis.stop();
});

async function replica(): Promise<FrontDoorUnderTest> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  return frontDoor(
    await kubeAdmin(),
    [
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${lbPort}/api/callback`,
      '--oidc-allowed-groups=nobody-in-particular',
      `--redis-addr=${redis.address}`,
    ],
    { OIDC_CLIENT_SECRET: client.secret },
  );
}

describe('replicas sharing Redis behind a load balancer', () => {
  it('complete one login whose requests alternate between them', async () => {
    const [a, b] = [await replica(), await replica()];
    balancer = await startRoundRobin([a.origin, b.origin], lbPort);
    const loopback = 'http://127.0.0.1:1/callback';
    const authorize = new URL(`${balancer.origin}/api/authorize`);
    authorize.searchParams.set('redirect_url', loopback);
    authorize.searchParams.set('session_id', 'REPLICAS0SESSION0000000000');
    authorize.searchParams.set('client_type', 'cli');
    const back = await followUntil(authorize.href, loopback);
    const token = back.searchParams.get('access_token') ?? '';
    expect(back.searchParams.get('token_type')).toBe('Bearer');
    // authorize went to one replica and the callback to the other.
    const steps = balancer.log.map((l) => `${l.path.split('?')[0] ?? ''}@${l.target}`);
    expect(steps).toEqual(['/api/authorize@0', '/api/callback@1']);

    // The token works on each replica directly: authenticated (the 403 comes from RBAC, which
    // does not allow this dex user to bind; a 401 would mean the replica does not know it).
    for (const r of [a, b]) {
      const res = await fetch(`${r.origin}/api/ping`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([r.origin, res.status]).toEqual([r.origin, 403]);
    }
  });

  it('lose nothing when the replica that started a login restarts before the callback', async () => {
    const first = await replica();
    const start = new URL(`${first.origin}/api/authorize`);
    start.searchParams.set('redirect_url', 'http://127.0.0.1:1/callback');
    start.searchParams.set('session_id', 'RESTART0SESSION00000000000');
    start.searchParams.set('client_type', 'cli');
    const toDex = (await hop(start.href)).headers.get('location') ?? '';
    await first.stop();
    // A new process: new in-memory state, same Redis.
    const second = await replica();
    await balancer.close();
    balancer = await startRoundRobin([second.origin], lbPort);
    const back = await followUntil(toDex, 'http://127.0.0.1:1/callback');
    expect(back.searchParams.get('access_token')).toBeTruthy();
  });
});
