// Several replicas behind a load balancer (issue 6, item 4; differences.md item 3): two bin/backend
// processes share one Redis (on a private kube-apiserver, since their controllers watch every
// namespace), the real dex is the IdP, and a round-robin balancer sends each request of one
// login to the other process than the one before. The login completes, the CLI token issued by
// one process works on both, and a process restarted mid-login loses nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { controlPlane, eventually } from '../../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../../harness/dex.ts';
import { startKubeCluster, type KubeCluster } from '../../harness/kube-cluster.ts';
import { freePort } from '../../harness/ports.ts';
import { startRedis, type RedisServer } from '../../harness/redis.ts';
import { startRoundRobin } from '../../harness/round-robin.ts';
import { repoRoot } from '../../harness/tools.ts';
import { followUntil, hop } from './front-door.ts';

let dir: string;
let cluster: KubeCluster;
let dex: Dex;
let redis: RedisServer;
let lbPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'replicas-'));
  lbPort = await freePort();
  [cluster, dex, redis] = await Promise.all([
    startKubeCluster({ name: 'replicas', baseDir: dir, controllerManager: false }),
    startDex({
      baseDir: dir,
      name: 'dex-replicas',
      clients: [defaultDexClient([`http://127.0.0.1:${lbPort}/api/callback`])],
    }),
    startRedis({ baseDir: dir }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([cluster.stop(), dex.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

interface Replica {
  origin: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** One bin/backend process behind the balancer's address, ready to serve. */
async function replica(name: string): Promise<Replica> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  const port = await freePort();
  const child = spawn(
    join(repoRoot, 'bin/backend'),
    [
      `--kubeconfig=${cluster.adminKubeconfigPath}`,
      '--leader-election-namespace=default',
      `--listen-address=127.0.0.1:${port}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${lbPort}/api/callback`,
      '--oidc-allowed-groups=nobody-in-particular',
      `--redis-addr=${redis.address}`,
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn', OIDC_CLIENT_SECRET: client.secret },
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  onTestFinished(stop);
  const origin = `http://127.0.0.1:${port}`;
  await eventually(`${name} to be ready`, async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    return (await fetch(`${origin}/readyz`).catch(() => undefined))?.ok ? true : undefined;
  });
  return { origin, process: child, stop };
}

/** leader_election_master_status from a replica's /metrics (NaN when absent). */
async function leaderStatus(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^leader_election_master_status\{[^}]*\} (\d+)$/m.exec(text)?.[1]);
}

function cliAuthorize(origin: string, sessionId: string): string {
  const url = new URL(`${origin}/api/authorize`);
  url.searchParams.set('redirect_url', 'http://127.0.0.1:1/callback');
  url.searchParams.set('session_id', sessionId);
  url.searchParams.set('client_type', 'cli');
  return url.href;
}

describe('backend processes sharing Redis behind a load balancer', () => {
  it('complete one login whose requests alternate between them', async () => {
    const [a, b] = await Promise.all([replica('replica A'), replica('replica B')]);
    expect(a.process.pid).not.toBe(b.process.pid);
    const balancer = await startRoundRobin([a.origin, b.origin], lbPort);
    onTestFinished(() => balancer.close());
    const back = await followUntil(
      cliAuthorize(balancer.origin, 'REPLICAS0SESSION0000000000'),
      'http://127.0.0.1:1/callback',
    );
    expect(back.searchParams.get('token_type')).toBe('Bearer');
    const token = back.searchParams.get('access_token') ?? '';
    // authorize went to one process, the callback (after dex) to the other.
    const steps = balancer.log.map((l) => `${l.path.split('?')[0] ?? ''}@${String(l.target)}`);
    expect(steps).toEqual(['/api/authorize@0', '/api/callback@1']);

    // The token works on each process: authenticated (403 is RBAC, which does not let this dex
    // user bind; a 401 would mean the process does not know the session or the token's key).
    for (const r of [a, b]) {
      const res = await fetch(`${r.origin}/api/ping`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { code: string };
      expect([r.origin, res.status, body.code]).toEqual([r.origin, 403, 'AUTHORIZATION_FAILED']);
    }
    // Both serve logins; exactly one leads the controllers, and /metrics says which.
    const leading = await eventually('one replica to lead', async () => {
      const status = await Promise.all([a, b].map((r) => leaderStatus(r.origin)));
      return status.includes(1) ? status : undefined;
    });
    expect(leading.sort()).toEqual([0, 1]);
  });

  it('lose nothing when the process that started a login restarts before the callback', async () => {
    const first = await replica('first process');
    const balancer = await startRoundRobin([first.origin], lbPort);
    onTestFinished(() => balancer.close());
    const started = await hop(cliAuthorize(balancer.origin, 'RESTART0SESSION00000000000'));
    const toDex = started.headers.get('location');
    // The browser keeps its login cookie (the callback must come from the same browser).
    const [name = '', value = ''] =
      (started.headers.getSetCookie()[0] ?? '').split(';')[0]?.split('=') ?? [];
    const jar = new Map([[`${balancer.origin} ${name}`, value]]);
    expect(toDex).toContain(dex.issuer);
    await first.stop();
    // A new process (new memory, same Redis) answers the callback.
    const second = await replica('restarted process');
    await balancer.close();
    const again = await startRoundRobin([second.origin], lbPort);
    onTestFinished(() => again.close());
    const back = await followUntil(toDex ?? '', 'http://127.0.0.1:1/callback', jar);
    const token = back.searchParams.get('access_token') ?? '';
    expect(token).not.toBe('');
    const res = await fetch(`${second.origin}/api/ping`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
  });
});
