// The OIDC relying party against real issuers — dex and our embedded development issuer — and
// against a hostile one that hands out broken ID tokens: every defect must end the login with a
// LoginError of the right reason (differences.md item 1: upstream accepts all of them). Also
// --oidc-ca-file (differences.md item 11): an IdP behind a private CA is trusted with its CA only.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LoginError, type LoginErrorReason } from '../../../src/backend/auth/errors.ts';
import {
  discoverRelyingParty,
  relyingParty,
  type RelyingParty,
  type RelyingPartyOptions,
} from '../../../src/backend/auth/oidc.ts';
import { devIssuerCredentials, registerDevIssuer } from '../../../src/backend/oidc-dev/issuer.ts';
import { controlPlane } from '../../harness/context.ts';
import { createCertificateAuthority, type PemPair } from '../../harness/pki.ts';
import { freePort, withFreshPorts } from '../../harness/ports.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

/** What would be a secret in a LoginError's text. */
const secrets = new Set<string>();

/** The rejection of `promise`, which must be a LoginError for `reason` that leaks no secret. */
async function expectLoginError(
  promise: Promise<unknown>,
  reason: LoginErrorReason,
): Promise<LoginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LoginError);
  const login = err as LoginError;
  expect(login.reason, `${login.message}: ${login.details ?? ''}`).toBe(reason);
  const text = `${login.message} ${login.details ?? ''}`;
  // KBT_DEBUG_LOGIN_ERRORS=1 prints every message, to review what users would read.
  if (process.env['KBT_DEBUG_LOGIN_ERRORS']) console.log(reason, '|', text);
  for (const secret of secrets) expect(text).not.toContain(secret);
  return login;
}

/** Plays the browser: follows the IdP's redirects until one points at the callback URL. */
async function browseToCallback(start: URL, callbackUrl: string): Promise<URL> {
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { redirect: 'manual' });
    const body = await res.text();
    const location = res.headers.get('location');
    if (!location)
      throw new Error(`${url.href} answered ${res.status} without a redirect: ${body}`);
    const next = new URL(location, url);
    if (next.href.startsWith(callbackUrl)) return next;
    url = next;
  }
  throw new Error('no redirect to the callback after 10 hops');
}

/** A whole login: begin, the browser's round trip, complete. */
async function logIn(rp: RelyingParty, callbackUrl: string) {
  const login = await rp.begin();
  const callback = await browseToCallback(login.authorizationUrl, callbackUrl);
  return { login, callback, identity: await rp.complete(callback, login) };
}

describe('against dex', () => {
  const dexOptions = (): RelyingPartyOptions => {
    const dex = controlPlane().dex;
    if (!dex) throw new Error('dex is not part of this run (KBT_TEST_COMPONENTS)');
    secrets.add(dex.clientSecret);
    return {
      issuerUrl: dex.issuer,
      clientId: dex.clientId,
      clientSecret: dex.clientSecret,
      callbackUrl: dex.redirectURI,
    };
  };

  it('logs the mock user in with a verified ID token', async () => {
    const options = dexOptions();
    const rp = await discoverRelyingParty(options);
    const { login, identity } = await logIn(rp, options.callbackUrl);
    const params = login.authorizationUrl.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('scope')).toBe('openid profile email offline_access groups');
    expect(params.get('redirect_uri')).toBe(options.callbackUrl);
    expect(login.state).toMatch(/^[\w-]{43}$/);
    expect(identity.issuer).toBe(options.issuerUrl);
    // dex's mockCallback user: Kilgore Trout, in the group "authors".
    expect(identity.subject).toMatch(/^[\w-]+=*$/);
    expect(identity.groups).toEqual(['authors']);
    expect(identity.email).toBe('kilgore@kilgore.trout');
  });

  it('discovers lazily, and a second login works on the cached discovery', async () => {
    const options = dexOptions();
    const rp = relyingParty(options);
    const first = await logIn(rp, options.callbackUrl);
    const second = await logIn(rp, options.callbackUrl);
    expect(second.identity.subject).toBe(first.identity.subject);
    expect(second.login.state).not.toBe(first.login.state);
    expect(second.login.nonce).not.toBe(first.login.nonce);
  });

  it('refuses a code used twice, and an ID token for another nonce', async () => {
    const options = dexOptions();
    const rp = relyingParty(options);
    const { login, callback } = await logIn(rp, options.callbackUrl);
    secrets.add(login.codeVerifier);
    await expectLoginError(rp.complete(callback, login), 'token_exchange_failed');

    const other = await rp.begin();
    const otherCallback = await browseToCallback(other.authorizationUrl, options.callbackUrl);
    secrets.add(otherCallback.searchParams.get('code') ?? '');
    await expectLoginError(
      rp.complete(otherCallback, { ...other, nonce: login.nonce }),
      'id_token_invalid',
    );
  });

  it('refuses a wrong PKCE verifier', async () => {
    const options = dexOptions();
    const rp = relyingParty(options);
    const login = await rp.begin();
    const callback = await browseToCallback(login.authorizationUrl, options.callbackUrl);
    const wrong = { ...login, codeVerifier: randomBytes(32).toString('base64url') };
    await expectLoginError(rp.complete(callback, wrong), 'token_exchange_failed');
  });
});

describe('against the embedded development issuer', () => {
  interface Embedded {
    issuer: string;
    callbackUrl: string;
    options: RelyingPartyOptions;
    logs: string[];
    offsetMs: { value: number };
  }

  async function startEmbedded(): Promise<Embedded> {
    return withFreshPorts(async () => {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const logs: string[] = [];
      const logger: FastifyBaseLogger = pino(
        { level: 'warn' },
        { write: (line: string) => logs.push(line) },
      );
      const app = Fastify({ loggerInstance: logger });
      const credentials = devIssuerCredentials();
      secrets.add(credentials.clientSecret);
      const offsetMs = { value: 0 };
      const callbackUrl = `${origin}/api/callback`;
      await registerDevIssuer(app, {
        issuerUrl: `${origin}/oidc`,
        ...credentials,
        redirectUris: [callbackUrl],
        clock: { now: () => Date.now() + offsetMs.value },
      });
      await app.listen({ host: '127.0.0.1', port });
      cleanups.push(() => app.close());
      const issuer = `${origin}/oidc`;
      return {
        issuer,
        callbackUrl,
        logs,
        offsetMs,
        options: { issuerUrl: issuer, ...credentials, callbackUrl },
      };
    });
  }

  it('logs the embedded user in with a verified ID token', async () => {
    const embedded = await startEmbedded();
    const rp = relyingParty(embedded.options);
    const { identity } = await logIn(rp, embedded.callbackUrl);
    expect(identity).toEqual({
      subject: 'kube-bind-embedded-user',
      issuer: embedded.issuer,
      groups: ['engineering', 'devops'],
      email: 'embedded@kube-bind.io',
    });
    expect(embedded.logs.join('')).toContain('DEVELOPMENT ONLY');
  });

  it('publishes its discovery document and the key that signs its ID tokens', async () => {
    const { issuer } = await startEmbedded();
    const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
      code_challenge_methods_supported: string[];
    };
    expect(doc.issuer).toBe(issuer);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    const jwks = (await (await fetch(doc.jwks_uri)).json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]?.kid).toBeTruthy();
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it('never redirects to an unregistered redirect_uri or for an unknown client', async () => {
    const embedded = await startEmbedded();
    const login = await relyingParty(embedded.options).begin();
    const cases: [string, string][] = [
      ['redirect_uri', 'https://evil.example.com/api/callback'],
      ['redirect_uri', `${embedded.callbackUrl}/`],
      ['redirect_uri', `${embedded.callbackUrl}?x=1`],
      ['client_id', 'someone-else'],
    ];
    for (const [param, value] of cases) {
      const url = new URL(login.authorizationUrl);
      url.searchParams.set(param, value);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, `${param}=${value}`).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    const noPkce = new URL(login.authorizationUrl);
    noPkce.searchParams.delete('code_challenge');
    const refused = await browseToCallback(noPkce, embedded.callbackUrl);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('code')).toBeNull();
  });

  it('takes each code once, and not after a minute', async () => {
    const embedded = await startEmbedded();
    const rp = relyingParty(embedded.options);
    const { login, callback } = await logIn(rp, embedded.callbackUrl);
    await expectLoginError(rp.complete(callback, login), 'token_exchange_failed');

    const late = await rp.begin();
    const lateCallback = await browseToCallback(late.authorizationUrl, embedded.callbackUrl);
    embedded.offsetMs.value = 61_000;
    await expectLoginError(rp.complete(lateCallback, late), 'token_exchange_failed');
  });

  it('checks the PKCE verifier and the client secret', async () => {
    const embedded = await startEmbedded();
    const rp = relyingParty(embedded.options);
    const login = await rp.begin();
    const callback = await browseToCallback(login.authorizationUrl, embedded.callbackUrl);
    const wrong = { ...login, codeVerifier: randomBytes(32).toString('base64url') };
    await expectLoginError(rp.complete(callback, wrong), 'token_exchange_failed');

    const impostor = relyingParty({ ...embedded.options, clientSecret: 'not-the-secret' });
    const other = await impostor.begin();
    const otherCallback = await browseToCallback(other.authorizationUrl, embedded.callbackUrl);
    await expectLoginError(impostor.complete(otherCallback, other), 'token_exchange_failed');
  });

  it('accepts client_secret_post and serves userinfo for its access tokens only', async () => {
    const embedded = await startEmbedded();
    const login = await relyingParty(embedded.options).begin();
    const callback = await browseToCallback(login.authorizationUrl, embedded.callbackUrl);
    const res = await fetch(`${embedded.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: embedded.callbackUrl,
        code_verifier: login.codeVerifier,
        client_id: embedded.options.clientId,
        client_secret: embedded.options.clientSecret ?? '',
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = (await res.json()) as { access_token: string; id_token: string };
    const info = await fetch(`${embedded.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await info.json()).toMatchObject({
      sub: 'kube-bind-embedded-user',
      groups: ['engineering', 'devops'],
    });
    // An ID token is not an access token.
    const wrong = await fetch(`${embedded.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.id_token}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('retries a failed lazy discovery on the next login', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const credentials = devIssuerCredentials();
    const options = {
      issuerUrl: `${origin}/oidc`,
      ...credentials,
      callbackUrl: `${origin}/api/callback`,
    };
    const rp = relyingParty(options);
    // Nothing listens yet: the first login fails, and that failure is not cached.
    await expectLoginError(rp.begin(), 'discovery_failed');
    const app = Fastify();
    await registerDevIssuer(app, { ...options, redirectUris: [options.callbackUrl] });
    await app.listen({ host: '127.0.0.1', port });
    cleanups.push(() => app.close());
    const { identity } = await logIn(rp, options.callbackUrl);
    expect(identity.subject).toBe('kube-bind-embedded-user');
  });
});

/**
 * An issuer that serves a correct discovery document and JWKS, but whose token endpoint answers
 * whatever the test wants, so ID tokens can be broken in every way.
 */
interface HostileIssuer {
  issuer: string;
  key: CryptoKey;
  kid: string;
  discovery: Record<string, unknown>;
  discoveryStatus: number;
  tokenAnswer: (form: URLSearchParams) => Promise<{ status: number; body: unknown }>;
  /** The last token request: form and Authorization header. */
  lastTokenRequest?: { form: URLSearchParams; authorization: string | undefined };
}

const hostileClient = { clientId: 'hostile-client', clientSecret: 'hostile-secret-4711' };
const hostileCallback = 'http://127.0.0.1:1/api/callback';
secrets.add(hostileClient.clientSecret);

async function startHostileIssuer(tls?: PemPair): Promise<HostileIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'good', alg: 'RS256', use: 'sig' };
  const state = { issuer: '' } as HostileIssuer;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void serveHostile(state, jwk, req, res);
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/idp`;
  Object.assign(state, {
    issuer,
    key: privateKey,
    kid: 'good',
    discoveryStatus: 200,
    discovery: {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    },
    tokenAnswer: () => Promise.resolve({ status: 500, body: 'no token configured' }),
  });
  return state;
}

async function serveHostile(
  state: HostileIssuer,
  jwk: JWK,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // By suffix: a test may configure the issuer as the bare origin.
  const path = new URL(req.url ?? '/', state.issuer).pathname.replace(/^\/idp/, '');
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (path === '/.well-known/openid-configuration') {
    send(state.discoveryStatus, state.discovery);
  } else if (path === '/jwks') {
    send(200, { keys: [jwk] });
  } else if (path === '/token' && req.method === 'POST') {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    state.lastTokenRequest = { form, authorization: req.headers.authorization };
    const answer = await state.tokenAnswer(form);
    send(answer.status, answer.body);
  } else {
    send(404, { error: 'not_found' });
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Valid claims for `nonce`; `changes` override or (with undefined) remove some. */
function claims(h: HostileIssuer, nonce: string, changes: Record<string, unknown> = {}) {
  return {
    iss: h.issuer,
    sub: 'hostile-user',
    aud: hostileClient.clientId,
    iat: nowSec(),
    exp: nowSec() + 300,
    nonce,
    groups: ['team-a'],
    ...changes,
  };
}

function signed(h: HostileIssuer, payload: Record<string, unknown>, key = h.key): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: h.kid }).sign(key);
}

/**
 * A login whose token endpoint answers with the ID token `idToken(nonce)` makes; the callback
 * carries `callbackParams` (default: a code and the right state).
 */
async function loginWith(
  h: HostileIssuer,
  idToken: (nonce: string) => Promise<string>,
  opts: { callbackParams?: (state: string) => Record<string, string>; caPem?: string } = {},
) {
  const rp = relyingParty({
    issuerUrl: h.issuer,
    ...hostileClient,
    callbackUrl: hostileCallback,
    clockToleranceSec: 5,
    ...(opts.caPem !== undefined && { caPem: opts.caPem }),
  });
  const login = await rp.begin();
  h.tokenAnswer = async () => ({
    status: 200,
    body: { access_token: 'at', token_type: 'Bearer', id_token: await idToken(login.nonce) },
  });
  const callback = new URL(hostileCallback);
  const params = opts.callbackParams?.(login.state) ?? { code: 'the-code', state: login.state };
  for (const [k, v] of Object.entries(params)) callback.searchParams.set(k, v);
  secrets.add(login.codeVerifier);
  return rp.complete(callback, login);
}

describe('against a hostile issuer', () => {
  it('accepts a correct ID token (so that the refusals below are for their reason)', async () => {
    const h = await startHostileIssuer();
    const identity = await loginWith(h, (nonce) => signed(h, claims(h, nonce)));
    expect(identity).toEqual({ subject: 'hostile-user', issuer: h.issuer, groups: ['team-a'] });
    const { form, authorization } = h.lastTokenRequest ?? {};
    expect(form?.get('grant_type')).toBe('authorization_code');
    expect(form?.get('code')).toBe('the-code');
    expect(form?.get('redirect_uri')).toBe(hostileCallback);
    expect(form?.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    expect(form?.has('client_secret')).toBe(false);
    // RFC 6749 §2.3.1: id and secret are form-encoded before they go into Basic.
    const basic = Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    expect(basic.split(':').map(decodeURIComponent)).toEqual([
      hostileClient.clientId,
      hostileClient.clientSecret,
    ]);
  });

  it('sends the secret in the form when the IdP supports only client_secret_post', async () => {
    const h = await startHostileIssuer();
    h.discovery['token_endpoint_auth_methods_supported'] = ['client_secret_post'];
    await loginWith(h, (nonce) => signed(h, claims(h, nonce)));
    expect(h.lastTokenRequest?.form.get('client_secret')).toBe(hostileClient.clientSecret);
    expect(h.lastTokenRequest?.authorization).toBeUndefined();
  });

  it.each<[string, (h: HostileIssuer, nonce: string) => Promise<string>]>([
    ['a wrong nonce', (h) => signed(h, claims(h, 'another-nonce'))],
    ['no nonce', (h, n) => signed(h, claims(h, n, { nonce: undefined }))],
    ['an expired token', (h, n) => signed(h, claims(h, n, { exp: nowSec() - 60 }))],
    ['a wrong audience', (h, n) => signed(h, claims(h, n, { aud: 'another-client' }))],
    ['a wrong issuer', (h, n) => signed(h, claims(h, n, { iss: 'https://evil.example.com' }))],
    ['groups that are not a list', (h, n) => signed(h, claims(h, n, { groups: 'admins' }))],
    [
      'a tampered payload',
      async (h, n) => {
        const [header, , signature] = (await signed(h, claims(h, n))).split('.');
        return `${header}.${b64(claims(h, n, { sub: 'admin' }))}.${signature}`;
      },
    ],
    [
      'alg none (unsigned)',
      (h, n) => Promise.resolve(`${b64({ alg: 'none' })}.${b64(claims(h, n))}.`),
    ],
    [
      'a key not in the JWKS (same kid)',
      async (h, n) => signed(h, claims(h, n), (await generateKeyPair('RS256')).privateKey),
    ],
    [
      'a key not in the JWKS (other kid)',
      async (h, n) =>
        new SignJWT(claims(h, n))
          .setProtectedHeader({ alg: 'RS256', kid: 'unknown' })
          .sign((await generateKeyPair('RS256')).privateKey),
    ],
    [
      'HS256 keyed with the client secret',
      (h, n) =>
        new SignJWT(claims(h, n))
          .setProtectedHeader({ alg: 'HS256' })
          .sign(Buffer.from(hostileClient.clientSecret)),
    ],
  ])('refuses %s', async (_what, idToken) => {
    const h = await startHostileIssuer();
    await expectLoginError(
      loginWith(h, (nonce) => idToken(h, nonce)),
      'id_token_invalid',
    );
  });

  it('refuses unsigned and HS256 tokens even when the IdP advertises them', async () => {
    const h = await startHostileIssuer();
    h.discovery['id_token_signing_alg_values_supported'] = ['RS256', 'none', 'HS256'];
    await expectLoginError(
      loginWith(h, (n) => Promise.resolve(`${b64({ alg: 'none' })}.${b64(claims(h, n))}.`)),
      'id_token_invalid',
    );
    await expectLoginError(
      loginWith(h, (n) =>
        new SignJWT(claims(h, n))
          .setProtectedHeader({ alg: 'HS256' })
          .sign(Buffer.from(hostileClient.clientSecret)),
      ),
      'id_token_invalid',
    );
  });

  it('refuses a token response without an ID token', async () => {
    const h = await startHostileIssuer();
    const rp = relyingParty({
      issuerUrl: h.issuer,
      ...hostileClient,
      callbackUrl: hostileCallback,
    });
    const login = await rp.begin();
    h.tokenAnswer = () =>
      Promise.resolve({ status: 200, body: { access_token: 'at', token_type: 'Bearer' } });
    const callback = new URL(`${hostileCallback}?code=c&state=${login.state}`);
    await expectLoginError(rp.complete(callback, login), 'id_token_invalid');
  });

  it('refuses a callback with another state', async () => {
    const h = await startHostileIssuer();
    await expectLoginError(
      loginWith(h, (n) => signed(h, claims(h, n)), {
        callbackParams: () => ({ code: 'the-code', state: 'someone-elses-state' }),
      }),
      'state_mismatch',
    );
    expect(h.lastTokenRequest).toBeUndefined();
  });

  it("reports the IdP's error=access_denied", async () => {
    const h = await startHostileIssuer();
    const err = await expectLoginError(
      loginWith(h, (n) => signed(h, claims(h, n)), {
        callbackParams: (state) => ({
          error: 'access_denied',
          error_description: 'The user declined',
          state,
        }),
      }),
      'idp_error',
    );
    expect(err.message).toContain('access_denied');
    expect(err.details).toContain('The user declined');
    expect(h.lastTokenRequest).toBeUndefined();
  });

  it('reports a refused code and an IdP that fails at its token endpoint', async () => {
    const h = await startHostileIssuer();
    const rp = relyingParty({
      issuerUrl: h.issuer,
      ...hostileClient,
      callbackUrl: hostileCallback,
    });
    const login = await rp.begin();
    const callback = new URL(`${hostileCallback}?code=c&state=${login.state}`);
    h.tokenAnswer = () =>
      Promise.resolve({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'code expired' },
      });
    const refused = await expectLoginError(rp.complete(callback, login), 'token_exchange_failed');
    expect(refused.details).toContain('invalid_grant');
    h.tokenAnswer = () => Promise.resolve({ status: 502, body: '<html>bad gateway</html>' });
    await expectLoginError(rp.complete(callback, login), 'token_exchange_failed');
  });

  it('refuses at start-up an issuer whose discovery names another issuer', async () => {
    const h = await startHostileIssuer();
    h.discovery['issuer'] = 'https://evil.example.com';
    const options = { issuerUrl: h.issuer, ...hostileClient, callbackUrl: hostileCallback };
    const err = await expectLoginError(discoverRelyingParty(options), 'discovery_failed');
    expect(err.details).toContain('names the issuer "https://evil.example.com"');
    expect(err.details).toContain('--oidc-issuer-url');
  });

  it('wants the issuer URL exactly, not just equal after normalisation', async () => {
    const h = await startHostileIssuer();
    const origin = new URL(h.issuer).origin;
    h.discovery['issuer'] = `${origin}/`;
    const options = { issuerUrl: origin, ...hostileClient, callbackUrl: hostileCallback };
    const err = await expectLoginError(discoverRelyingParty(options), 'discovery_failed');
    expect(err.details).toContain(`names the issuer "${origin}/"`);
    expect(await discoverRelyingParty({ ...options, issuerUrl: `${origin}/` })).toBeDefined();
  });

  it('retries discovery after a failure instead of caching it', async () => {
    const h = await startHostileIssuer();
    h.discoveryStatus = 503;
    const rp = relyingParty({
      issuerUrl: h.issuer,
      ...hostileClient,
      callbackUrl: hostileCallback,
    });
    await expectLoginError(rp.begin(), 'discovery_failed');
    h.discoveryStatus = 200;
    expect((await rp.begin()).authorizationUrl.href).toContain(`${h.issuer}/authorize?`);
  });
});

describe('--oidc-ca-file', () => {
  async function httpsIssuer() {
    const ca = await createCertificateAuthority('kube-bind-ts OIDC test CA');
    const serving = await ca.issueServing({ dns: ['localhost'], ips: ['127.0.0.1'] });
    return { ca, h: await startHostileIssuer(serving) };
  }

  it('trusts an IdP whose certificate the given CA signed, for every request', async () => {
    const { ca, h } = await httpsIssuer();
    const identity = await loginWith(h, (nonce) => signed(h, claims(h, nonce)), {
      caPem: ca.certPem,
    });
    expect(identity.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/idp$/);
    const rp = await discoverRelyingParty({
      issuerUrl: h.issuer,
      ...hostileClient,
      callbackUrl: hostileCallback,
      caPem: ca.certPem,
    });
    expect((await rp.begin()).authorizationUrl.protocol).toBe('https:');
  });

  it('fails discovery without the CA, or with another CA', async () => {
    const { h } = await httpsIssuer();
    const options = { issuerUrl: h.issuer, ...hostileClient, callbackUrl: hostileCallback };
    const err = await expectLoginError(discoverRelyingParty(options), 'discovery_failed');
    expect(err.details).toContain('--oidc-ca-file');
    const other = await createCertificateAuthority('another CA');
    await expectLoginError(
      discoverRelyingParty({ ...options, caPem: other.certPem }),
      'discovery_failed',
    );
  });

  it('serves the embedded issuer over HTTPS to a relying party with its CA', async () => {
    const ca = await createCertificateAuthority('kube-bind-ts embedded issuer CA');
    const serving = await ca.issueServing({ dns: ['localhost'], ips: ['127.0.0.1'] });
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    const credentials = devIssuerCredentials();
    const callbackUrl = `${origin}/api/callback`;
    const app = Fastify({ https: { cert: serving.certPem, key: serving.keyPem } });
    await registerDevIssuer(app, {
      issuerUrl: `${origin}/oidc`,
      ...credentials,
      redirectUris: [callbackUrl],
    });
    await app.listen({ host: '127.0.0.1', port });
    cleanups.push(() => app.close());
    const options = { issuerUrl: `${origin}/oidc`, ...credentials, callbackUrl };
    await expectLoginError(discoverRelyingParty(options), 'discovery_failed');
    const rp = await discoverRelyingParty({ ...options, caPem: ca.certPem });
    const login = await rp.begin();
    // Node's fetch cannot take a CA without undici: the "browser" uses node:https.
    const location = await httpsRedirect(login.authorizationUrl, ca.certPem);
    const identity = await rp.complete(new URL(location), login);
    expect(identity.subject).toBe('kube-bind-embedded-user');
  });
});

/** The Location of a GET over https trusting `caPem`. */
async function httpsRedirect(url: URL, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsRequest(url, { ca: caPem }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (res.statusCode === 302 && location) resolve(location);
      else reject(new Error(`authorize answered ${res.statusCode ?? '?'} without a redirect`));
    })
      .on('error', reject)
      .end();
  });
}
