// The front door under hostile input (issue 6, item 8): open redirects, forged and replayed
// state, tampered tokens and cookies, oversized and malformed bodies, and property-based fuzzing
// of every route (1,000 cases each). Whatever comes in, the answer is a 4xx with a JSON error on
// /api paths: never a 5xx, never a crash, never a half-provisioned consumer.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces, Secrets, ServiceAccounts } from '../../../src/kube/resources.ts';
import { kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { cliLogin, frontDoor, hop, type FrontDoorUnderTest } from './front-door.ts';

beforeAll(ensureKubeBindCRDs);

const casesPerRoute = 1000;

/** Checks the answer's contract and returns its status. */
async function expectHandled(res: Response, path: string): Promise<number> {
  const text = await res.text();
  expect(res.status, `${path} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400 && path.startsWith('/api/') && res.status !== 431) {
    const body = JSON.parse(text) as { kind?: string; code?: string; message?: string };
    expect(body.kind).toBe('Error');
    expect(body.code).toBeTruthy();
    expect(body.message).toBeTruthy();
  }
  return res.status;
}

const queryArb = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'cluster_id',
      'consumer_id',
      'session_id',
      'redirect_url',
      'client_type',
      'state',
      'code',
      'error',
    ),
    fc.string(),
  ),
  fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.webUrl(),
    fc.constant(''),
    fc.string({ minLength: 300, maxLength: 3000 }),
  ),
  { maxKeys: 6 },
);

const headerArb = fc.record(
  {
    authorization: fc.oneof(
      fc.string().map((s) => `Bearer ${s}`),
      fc.string(),
      fc.constant('Bearer '),
    ),
    cookie: fc.oneof(
      fc.string().map((s) => `kube-bind=${encodeURIComponent(s)}`),
      fc.string().filter((s) => /^[\x21-\x7e]*$/.test(s)),
    ),
    origin: fc.webUrl(),
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ),
  },
  { requiredKeys: [] },
);

const bodyArb = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1')),
);

function url(door: FrontDoorUnderTest, path: string, query: Record<string, string>): string {
  const u = new URL(path, door.origin);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.href;
}

describe('the front door under hostile input', () => {
  it('refuses open redirects, forged and replayed state, tampered credentials', async () => {
    const door = await frontDoor(await kubeAdmin());
    for (const [redirect, client] of [
      ['https://evil.example.com/callback', 'cli'],
      ['http://127.0.0.1.evil.example.com:80/cb', 'cli'],
      ['https://evil.example.com/', 'ui'],
      ['javascript:alert(1)', 'ui'],
    ] as const) {
      const res = await hop(
        url(door, '/api/authorize', {
          redirect_url: redirect,
          session_id: 's',
          client_type: client,
        }),
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(((await res.json()) as { message: string }).message).toBe('Invalid redirect_url');
    }
    const forged = await hop(url(door, '/api/callback', { state: 'forged', code: 'x' }));
    expect(forged.status).toBe(400);

    // A callback can be used once: replaying the IdP's redirect finds no pending login.
    const start = url(door, '/api/authorize', {
      redirect_url: 'http://127.0.0.1:1/callback',
      session_id: 'replay',
      client_type: 'cli',
    });
    const started = await hop(start);
    const toIdp = started.headers.get('location') ?? '';
    // The browser's login cookie: a callback is only accepted with it (login CSRF).
    const browser = { cookie: started.headers.getSetCookie()[0]?.split(';')[0] ?? '' };
    const callback = (await hop(toIdp)).headers.get('location') ?? '';
    expect(callback).toContain('/api/callback?');
    expect((await hop(callback, { headers: browser })).status).toBe(302);
    const replay = await hop(callback, { headers: browser });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { message: string }).message).toBe('Unknown or expired login');

    const login = await cliLogin(door.origin);
    const [head = '', payload = '', signature = ''] = login.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const tampered = [
      `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${signature}`,
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`,
      `${head}.${payload}.${signature.slice(0, -2)}AA`,
    ];
    for (const token of tampered) {
      const res = await fetch(`${door.origin}/api/ping`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, token).toBe(401);
    }
    const cookie = await fetch(`${door.origin}/api/ping`, {
      headers: { cookie: 'kube-bind=dGFtcGVyZWQ' },
    });
    expect(cookie.status).toBe(401);
  });

  it('answers oversized, malformed and odd requests with 4xx JSON', async () => {
    const door = await frontDoor(await kubeAdmin());
    const { accessToken } = await cliLogin(door.origin);
    const auth = { authorization: `Bearer ${accessToken}` };
    const big = await fetch(`${door.origin}/api/bind`, {
      method: 'POST',
      headers: auth,
      body: 'x'.repeat(2 << 20),
    });
    expect([big.status, ((await big.json()) as { message: string }).message]).toEqual([
      413,
      'Request body too large',
    ]);
    const bad = await fetch(`${door.origin}/api/bind`, {
      method: 'POST',
      headers: auth,
      body: '{"metadata":',
    });
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([
      400,
      'BAD_REQUEST',
    ]);
    const proto = await fetch(`${door.origin}/api/bind`, {
      method: 'POST',
      headers: auth,
      body: '{"__proto__":{"polluted":true},"metadata":{"name":"x"}}',
    });
    expect(proto.status).toBe(400);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const hugeHeader = await fetch(`${door.origin}/api/ping`, {
      headers: { 'x-filler': 'y'.repeat(20_000) },
    });
    expect(hugeHeader.status).toBe(431);
  });

  it(`survives ${casesPerRoute} random requests per route`, async () => {
    const admin = await kubeAdmin();
    const prefix = `z${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
    const { accessToken } = await cliLogin(door.origin);
    const routes: [string, string, boolean][] = [
      ['GET', '/api/exports', false],
      ['GET', '/api/authorize', false],
      ['POST', '/api/authorize', false],
      ['GET', '/api/callback', false],
      ['POST', '/api/logout', false],
      ['GET', '/api/bindable-resources', false],
      ['GET', '/api/konnector-manifests', false],
      ['GET', '/api/ping', true],
      ['GET', '/api/templates', true],
      ['GET', '/api/collections', true],
      ['POST', '/api/bind', true],
      ['GET', '/api/consumer-status', true],
      ['POST', '/api/apply-binding', true],
      ['GET', '/api/nope', false],
      ['GET', '/', false],
    ];
    for (const [method, path, withToken] of routes) {
      await fc.assert(
        fc.asyncProperty(
          queryArb,
          headerArb,
          bodyArb,
          fc.boolean(),
          async (query, headers, body, useToken) => {
            const res = await fetch(url(door, path, query), {
              method,
              headers: {
                ...headers,
                ...(withToken && useToken && { authorization: `Bearer ${accessToken}` }),
              },
              ...(method === 'POST' && { body }),
              redirect: 'manual',
            });
            await expectHandled(res, path);
          },
        ),
        { numRuns: casesPerRoute },
      );
    }
    // Nothing half-provisioned: every contract namespace that exists is complete.
    for (const ns of (await new ResourceClient(admin, Namespaces).list()).items) {
      const name = ns.metadata?.name ?? '';
      if (!name.startsWith(prefix)) continue;
      await new ResourceClient(admin, kb.ClusterBindings, name).get('cluster');
      await new ResourceClient(admin, ServiceAccounts, name).get('kube-binder');
      await new ResourceClient(admin, Secrets, name).get('kubeconfig');
    }
  }, 600_000);
});
