// Issue 16, items 3 and 5, performed against the real front door, the real kube-apiserver and a
// real dex (two mockCallback connectors: two subjects of one issuer), with both session stores.
//
// Session fixation (item 3): the attacker logs in with session_id X and keeps the CLI token; the
// victim is sent a link with the same X (`/?session_id=X`: the web UI logs in with it). Upstream
// (and this backend before the fix) keyed the session by X and overwrote it, so the attacker's
// token then acted as the victim. Now sessions have server-made keys and a stored record never
// changes: each token stays its own user's.
//
// Login CSRF (item 5): the attacker starts a login, stops at the IdP's redirect to
// /api/callback and sends that link to the victim. Before the fix the victim's browser finished
// the login and held a session cookie of the attacker's account; now a callback without the login
// cookie of the browser that started it is refused with 400.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingResponse } from '../../../src/apis/kubebind/documents.ts';
import { controlPlane, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { defaultDexClient, startDex, type Dex } from '../../harness/dex.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { freePort } from '../../harness/ports.ts';
import { startRedis, type RedisServer } from '../../harness/redis.ts';
import {
  allowToBind,
  cowboysTemplate,
  followUntil,
  frontDoor,
  hop,
  type FrontDoorUnderTest,
} from './front-door.ts';

let dir: string;
let dex: Dex;
let redis: RedisServer;
const ports: Record<'memory' | 'redis', number> = { memory: 0, redis: 0 };
/** dex's mockCallback user is in this group, whichever connector. */
const dexGroup = 'authors';
const loopback = 'http://127.0.0.1:1/callback';

beforeAll(async () => {
  await ensureKubeBindCRDs();
  dir = mkdtempSync(join(controlPlane().runDir, 'login-attacks-'));
  ports.memory = await freePort();
  ports.redis = await freePort();
  [dex, redis] = await Promise.all([
    startDex({
      baseDir: dir,
      name: 'dex-login-attacks',
      clients: [
        defaultDexClient(Object.values(ports).map((p) => `http://127.0.0.1:${p}/api/callback`)),
      ],
      mockConnectors: ['attacker', 'victim'],
    }),
    startRedis({ baseDir: dir, name: 'redis-login-attacks' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([dex.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function backend(store: 'memory' | 'redis', prefix: string): Promise<FrontDoorUnderTest> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  const port = ports[store];
  return frontDoor(
    await kubeAdmin(),
    [
      `--namespace-prefix=${prefix}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${port}/api/callback`,
      `--oidc-allowed-groups=${dexGroup}`,
      ...(store === 'redis'
        ? [`--redis-addr=${redis.address}`, `--redis-key-prefix=${prefix}`]
        : []),
    ],
    { OIDC_CLIENT_SECRET: client.secret },
    port,
  );
}

function authorizeUrl(door: FrontDoorUnderTest, params: Record<string, string>): string {
  const url = new URL('/api/authorize', door.origin);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/**
 * A browser (its own cookie jar) from /api/authorize through dex, as the user of `connector`,
 * up to the IdP's redirect back to the backend: the /api/callback URL, not yet opened.
 */
async function toCallback(
  door: FrontDoorUnderTest,
  params: Record<string, string>,
  connector: string,
  jar: Map<string, string>,
): Promise<URL> {
  const toDex = await followUntil(authorizeUrl(door, params), `${dex.issuer}/auth?`, jar);
  // dex asks which connector when there are several; a user would click one.
  toDex.pathname = `${toDex.pathname}/${connector}`;
  return followUntil(toDex.href, `${door.origin}/api/callback?`, jar);
}

/** `kubectl bind login` with the given session_id as the user of `connector`: its token. */
async function cliLogin(door: FrontDoorUnderTest, sessionId: string, connector: string) {
  const jar = new Map<string, string>();
  const params = { redirect_url: loopback, session_id: sessionId, client_type: 'cli' };
  const callback = await toCallback(door, params, connector, jar);
  const back = await followUntil(callback.href, loopback, jar);
  const token = back.searchParams.get('access_token');
  if (!token) throw new Error(`no token for ${connector}: ${back.href}`);
  return token;
}

/** The web UI's login with the session_id of its URL: the session cookie it ends with. */
async function uiLogin(door: FrontDoorUnderTest, sessionId: string, connector: string) {
  const jar = new Map<string, string>();
  const params = { redirect_url: `${door.origin}/`, session_id: sessionId, client_type: 'ui' };
  const callback = await toCallback(door, params, connector, jar);
  const back = await followUntil(callback.href, `${door.origin}/?`, jar);
  // The hand-off value is echoed to the UI unchanged (it gives it back to the CLI).
  expect(back.searchParams.get('session_id')).toBe(sessionId);
  return `kube-bind=${jar.get(`${door.origin} kube-bind`) ?? ''}`;
}

/**
 * Whose identity a credential acts as: a bind for a fresh consumer reports it in
 * BindingResponse.authentication.oauth2CodeGrant (`id` = issuer/subject, `sid` = session_id).
 */
async function actingAs(
  door: FrontDoorUnderTest,
  template: string,
  credential: { token: string } | { cookie: string },
): Promise<{ id: string; sid: string }> {
  const consumer = randomUUID();
  const res = await fetch(`${door.origin}/api/bind?consumer_id=${consumer}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...('token' in credential
        ? { authorization: `Bearer ${credential.token}` }
        : { cookie: credential.cookie, origin: door.origin, 'x-requested-with': 'kube-bind-ui' }),
    },
    body: JSON.stringify({
      metadata: { name: `probe-${uniqueSuffix()}` },
      spec: { templateRef: { name: template }, clusterIdentity: { identity: consumer } },
    }),
  });
  const body = (await res.json()) as BindingResponse & { message?: string };
  expect(res.status, body.message).toBe(200);
  const grant = body.authentication.oauth2CodeGrant;
  return { id: grant.id, sid: grant.sid };
}

for (const store of ['memory', 'redis'] as const) {
  describe(`login attacks with the ${store} session store`, () => {
    it("a victim's login with the attacker's session_id does not hand the attacker the victim", async () => {
      const admin = await kubeAdmin();
      const prefix = `fx${uniqueSuffix()}-`;
      deleteNamespacesAfterTest(admin, prefix);
      await allowToBind(admin, { kind: 'Group', name: dexGroup });
      const door = await backend(store, prefix);
      const template = await cowboysTemplate(admin);
      const fixed = 'FIXEDSESSION23456ABCDEFGHI';

      const attackerToken = await cliLogin(door, fixed, 'attacker');
      const attacker = await actingAs(door, template, { token: attackerToken });
      // The victim follows the attacker's link `/?session_id=<fixed>`: the UI logs in with it.
      const victimCookie = await uiLogin(door, fixed, 'victim');
      const victim = await actingAs(door, template, { cookie: victimCookie });
      expect(victim.id).not.toBe(attacker.id);

      // The attacker's token still acts as the attacker, never as the victim.
      expect(await actingAs(door, template, { token: attackerToken })).toEqual(attacker);
      // Both keep the client's session_id as the hand-off value.
      expect([attacker.sid, victim.sid]).toEqual([fixed, fixed]);

      // The same with a CLI login of the victim under the same session_id.
      const victimToken = await cliLogin(door, fixed, 'victim');
      expect((await actingAs(door, template, { token: victimToken })).id).toBe(victim.id);
      expect((await actingAs(door, template, { token: attackerToken })).id).toBe(attacker.id);
    }, 120_000);

    it("a login link from the attacker's browser does not log the victim in", async () => {
      const door = await backend(store, `cs${uniqueSuffix()}-`);
      const params = {
        redirect_url: `${door.origin}/`,
        session_id: 'CSRFSESSION0000000000000000',
        client_type: 'ui',
      };
      const attackerBrowser = new Map<string, string>();
      const link = await toCallback(door, params, 'attacker', attackerBrowser);

      // The victim's browser has no login cookie (or another one): refused, no session cookie.
      const victim = await hop(link.href);
      const sessionCookies = victim.headers
        .getSetCookie()
        .filter((c) => c.startsWith('kube-bind='));
      expect({ status: victim.status, sessionCookies }).toEqual({
        status: 400,
        sessionCookies: [],
      });
      const refusal = (await victim.json()) as { code: string; message: string };
      expect([refusal.code, refusal.message]).toEqual([
        'BAD_REQUEST',
        'Login started in another browser',
      ]);
      const other = await hop((await toCallback(door, params, 'attacker', attackerBrowser)).href, {
        headers: { cookie: `kube_bind_login=${'A'.repeat(43)}` },
      });
      expect(other.status).toBe(400);

      // The browser that started a login finishes it, in the web flow and in the CLI flow.
      const own = await toCallback(door, params, 'attacker', attackerBrowser);
      const back = await followUntil(own.href, `${door.origin}/?`, attackerBrowser);
      expect(back.searchParams.get('session_id')).toBe(params.session_id);
      expect(attackerBrowser.get(`${door.origin} kube-bind`)).toBeTruthy();
      const cliBrowser = new Map<string, string>();
      const cli = { redirect_url: loopback, session_id: params.session_id, client_type: 'cli' };
      const cliLink = await toCallback(door, cli, 'victim', cliBrowser);
      expect((await hop(cliLink.href)).status).toBe(400);
      const cliOwn = await toCallback(door, cli, 'victim', cliBrowser);
      const token = (await followUntil(cliOwn.href, loopback, cliBrowser)).searchParams.get(
        'access_token',
      );
      expect(token).toBeTruthy();
    }, 120_000);
  });
}
