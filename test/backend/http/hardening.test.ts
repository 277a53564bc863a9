// Issue 16, item 8, against the real front door and kube-apiserver:
// (a) an IdP that issues a `system:` subject or group does not make its user a Kubernetes system
//     identity in the SubjectAccessReview (a group `system:masters` passed every check; a subject
//     `system:serviceaccount:…` borrowed that service account's rights);
// (c) the public /readyz names no address and no error text when the session store is down.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { provisionerFor } from '../../../src/backend/app/app.ts';
import { startFrontDoor } from '../../../src/backend/app/front-door.ts';
import { kubernetesPlatform } from '../../../src/backend/app/platform.ts';
import type { DevUser } from '../../../src/backend/oidc-dev/issuer.ts';
import { loadBackendOptions } from '../../../src/backend/options/options.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../../harness/context.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { freePort } from '../../harness/ports.ts';
import { startRedis } from '../../harness/redis.ts';
import { allowToBind, cliLogin } from './front-door.ts';

/** The front door with the embedded issuer logging in `user`, ready to serve. */
async function door(user: DevUser, flags: readonly string[] = []): Promise<string> {
  await ensureKubeBindCRDs();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const options = await loadBackendOptions(
    [
      `--listen-address=127.0.0.1:${port}`,
      '--oidc-type=embedded',
      `--oidc-issuer-url=${origin}/oidc`,
      `--oidc-callback-url=${origin}/api/callback`,
      ...flags,
    ],
    { readFile: (path) => readFile(path, 'utf8'), env: {} },
  );
  const log = testLogger();
  const platform = kubernetesPlatform(options, {
    connection: await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath }),
    client: await kubeAdmin(),
    clock: realClock,
    log,
  });
  const running = await startFrontDoor(options, {
    developmentUser: user,
    platform,
    provision: provisionerFor(options, { log, clock: realClock }, platform.targetFor),
    metrics: new Registry(),
    clock: realClock,
    log,
  });
  onTestFinished(() => running.stop());
  await eventually('the front door to be ready', async () =>
    (await fetch(`${origin}/readyz`)).ok ? true : undefined,
  );
  return origin;
}

async function ping(origin: string): Promise<{ status: number; body: string }> {
  const { accessToken } = await cliLogin(origin);
  const res = await fetch(`${origin}/api/ping`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: res.status, body: await res.text() };
}

describe('OIDC identities in the system: namespace', () => {
  it('a group system:masters from the IdP does not pass the SubjectAccessReview', async () => {
    const subject = `test-user-${uniqueSuffix()}`;
    const origin = await door({
      subject,
      email: `${subject}@example.com`,
      groups: ['engineering', 'system:masters'],
    });
    const answer = await ping(origin);
    expect(answer.status, answer.body).toBe(403);
  });

  it('a subject system:serviceaccount:… is refused, even when that account may bind', async () => {
    const subject = `system:serviceaccount:kube-bind:backend-${uniqueSuffix()}`;
    await allowToBind(await kubeAdmin(), { kind: 'User', name: subject });
    const origin = await door({ subject, email: 'sa@example.com', groups: [] });
    const answer = await ping(origin);
    expect(answer.status, answer.body).toBe(403);
    expect(answer.body).toContain('system:');
  });

  it('an ordinary user who may bind still does (the dev flow keeps working)', async () => {
    const subject = `test-user-${uniqueSuffix()}`;
    await allowToBind(await kubeAdmin(), { kind: 'User', name: subject });
    const origin = await door({ subject, email: `${subject}@example.com`, groups: ['devops'] });
    const answer = await ping(origin);
    expect(answer.status, answer.body).toBe(200);
  });
});

describe('the public /readyz', () => {
  it('names the failed check, not the address or the error, when the store is down', async () => {
    const dir = mkdtempSync(join(controlPlane().runDir, 'readyz-'));
    const redis = await startRedis({ baseDir: dir, name: 'redis-readyz' });
    onTestFinished(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const subject = `test-user-${uniqueSuffix()}`;
    const origin = await door({ subject, email: 'r@example.com', groups: [] }, [
      `--redis-addr=${redis.address}`,
    ]);
    const port = redis.address.split(':')[1] ?? '';
    let seen: { status: number; body: string } | undefined;
    await redis.restart(async () => {
      seen = await eventually('/readyz to fail', async () => {
        const res = await fetch(`${origin}/readyz`);
        return res.status === 503 ? { status: res.status, body: await res.text() } : undefined;
      });
    });
    expect(seen?.body).toBe('not ready: session-store\n');
    expect(seen?.body).not.toContain(port);
    expect(seen?.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Redis|closed/i);
  });
});
