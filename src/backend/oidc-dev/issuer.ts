// The embedded OIDC issuer of --oidc-type=embedded (docs/protocol.md §3.17): DEVELOPMENT ONLY.
// It logs in everyone who reaches it as one fixed user, without asking anything, so that the
// backend can be tried without an identity provider. Otherwise it behaves like a strict IdP, so
// that the relying party is exercised for real: registered redirect URIs only (never an open
// redirect), PKCE S256 required, client authentication, single-use codes that expire after a
// minute, and RS256 ID tokens from a key made per process and published in the JWKS.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { Clock } from '../../runtime/clock.ts';

export interface DevUser {
  subject: string;
  email: string;
  groups: string[];
}

/** Who everybody is when logged in by the embedded issuer (as upstream's). */
export const embeddedUser: DevUser = {
  subject: 'kube-bind-embedded-user',
  email: 'embedded@kube-bind.io',
  groups: ['engineering', 'devops'],
};

export interface DevIssuerOptions {
  /** `<origin>/oidc`: the routes are served under its path. */
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** The only places /authorize redirects to, compared exactly. */
  redirectUris: string[];
  user?: DevUser;
  clock?: Pick<Clock, 'now'>;
}

/** How long an authorization code may wait for its exchange. */
export const codeTtlMs = 60_000;
/** Lifetime of ID and access tokens. */
const tokenTtlSec = 3600;
/** Bound on codes in flight: /authorize is public, memory must not grow without end. */
const maxPendingCodes = 1000;

/** A random client id and secret for one process (the issuer and its relying party share them). */
export function devIssuerCredentials(): { clientId: string; clientSecret: string } {
  return {
    clientId: `kube-bind-dev-${randomBytes(6).toString('hex')}`,
    clientSecret: randomBytes(32).toString('base64url'),
  };
}

/** Serves the issuer's routes on `app` (in their own encapsulated scope). */
export async function registerDevIssuer(
  app: FastifyInstance,
  opts: DevIssuerOptions,
): Promise<void> {
  // The issuer exactly as configured (the relying party compares it exactly); endpoints hang
  // below it without a doubled slash.
  const issuer = opts.issuerUrl;
  const root = issuer.replace(/\/+$/, '');
  const base = new URL(root).pathname.replace(/\/+$/, '');
  const signing = await signingKey();
  const state: IssuerState = {
    opts,
    issuer,
    root,
    user: opts.user ?? embeddedUser,
    now: () => (opts.clock ?? Date).now(),
    signing,
    codes: new Map(),
  };
  app.log.warn(
    { issuer, user: state.user.subject },
    'DEVELOPMENT ONLY: embedded OIDC issuer enabled; it logs in anyone who can reach ' +
      `${root}/authorize as ${state.user.subject} without asking. Never use it in production.`,
  );
  await app.register((scope, _options, done) => {
    // Forms are for this scope only: the rest of the server reads every body as JSON.
    const form = 'application/x-www-form-urlencoded';
    if (scope.hasContentTypeParser(form)) scope.removeContentTypeParser(form);
    scope.addContentTypeParser(form, { parseAs: 'string', bodyLimit: 64 << 10 }, (_r, b, cb) => {
      cb(null, new URLSearchParams(typeof b === 'string' ? b : b.toString('utf8')));
    });
    scope.get(`${base}/.well-known/openid-configuration`, (_req, reply) =>
      noStore(reply).send(discoveryDocument(issuer, root)),
    );
    scope.get(`${base}/.well-known/jwks.json`, (_req, reply) =>
      reply.send({ keys: [signing.publicJwk] }),
    );
    scope.route({
      method: ['GET', 'POST'],
      url: `${base}/authorize`,
      handler: (req, reply) => authorize(state, paramsOf(req), reply),
    });
    scope.route({
      method: ['GET', 'POST'],
      url: `${base}/token`,
      handler: (req, reply) =>
        req.method === 'POST'
          ? token(state, req, reply)
          : oauthError(reply, 405, 'invalid_request', 'use POST for the token endpoint'),
    });
    scope.route({
      method: ['GET', 'POST'],
      url: `${base}/userinfo`,
      handler: (req, reply) => userinfo(state, req, reply),
    });
    done();
  });
}

interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

interface PendingCode {
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  expiresAt: number;
}

interface IssuerState {
  opts: DevIssuerOptions;
  issuer: string;
  /** The issuer without a trailing slash: endpoints are `${root}/…`. */
  root: string;
  user: DevUser;
  now: () => number;
  signing: SigningKey;
  codes: Map<string, PendingCode>;
}

async function signingKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicKey, kid, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

function discoveryDocument(issuer: string, root: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${root}/authorize`,
    token_endpoint: `${root}/token`,
    userinfo_endpoint: `${root}/userinfo`,
    jwks_uri: `${root}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'groups', 'profile', 'offline_access'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'email', 'groups'],
  };
}

/** /authorize: checks the client and redirect URI first (a failure there never redirects). */
function authorize(state: IssuerState, params: URLSearchParams, reply: FastifyReply): FastifyReply {
  const clientId = params.get('client_id');
  if (clientId !== state.opts.clientId) {
    return oauthError(reply, 400, 'unauthorized_client', 'unknown client_id');
  }
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!state.opts.redirectUris.includes(redirectUri)) {
    return oauthError(
      reply,
      400,
      'invalid_request',
      'redirect_uri is not registered for this client',
    );
  }
  const back = new URL(redirectUri);
  const clientState = params.get('state');
  if (clientState !== null) back.searchParams.set('state', clientState);
  const refuse = (error: string, description: string): FastifyReply => {
    back.searchParams.set('error', error);
    back.searchParams.set('error_description', description);
    return reply.redirect(back.href, 302);
  };
  if (params.get('response_type') !== 'code') {
    return refuse('unsupported_response_type', 'only response_type=code is supported');
  }
  if (!(params.get('scope') ?? '').split(' ').includes('openid')) {
    return refuse('invalid_scope', 'the openid scope is required');
  }
  const codeChallenge = params.get('code_challenge') ?? '';
  if (params.get('code_challenge_method') !== 'S256' || !/^[\w-]{43}$/.test(codeChallenge)) {
    return refuse('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  }
  const now = state.now();
  forgetExpiredCodes(state, now);
  if (state.codes.size >= maxPendingCodes) {
    return refuse('temporarily_unavailable', 'too many logins in flight; try again in a minute');
  }
  const code = randomBytes(32).toString('base64url');
  state.codes.set(code, {
    redirectUri,
    codeChallenge,
    nonce: params.get('nonce') ?? undefined,
    scope: params.get('scope') ?? '',
    expiresAt: now + codeTtlMs,
  });
  back.searchParams.set('code', code);
  return reply.redirect(back.href, 302);
}

function forgetExpiredCodes(state: IssuerState, now: number): void {
  for (const [code, pending] of state.codes) {
    if (pending.expiresAt <= now) state.codes.delete(code);
  }
}

/** /token: the authorization_code grant, for the registered client only. */
async function token(
  state: IssuerState,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
  const client = clientOf(req.headers.authorization, form);
  if (!client || !isRegisteredClient(state.opts, client)) {
    if (req.headers.authorization !== undefined) reply.header('www-authenticate', 'Basic');
    return oauthError(reply, 401, 'invalid_client', 'client authentication failed');
  }
  if (form.get('grant_type') !== 'authorization_code') {
    return oauthError(reply, 400, 'unsupported_grant_type', 'only authorization_code is supported');
  }
  const code = form.get('code') ?? '';
  const pending = state.codes.get(code);
  // Single use: the code is gone whatever happens next.
  state.codes.delete(code);
  const now = state.now();
  if (!pending || pending.expiresAt <= now) {
    return oauthError(reply, 400, 'invalid_grant', 'the code is unknown, used or expired');
  }
  if (form.get('redirect_uri') !== pending.redirectUri) {
    return oauthError(
      reply,
      400,
      'invalid_grant',
      'redirect_uri differs from the authorization request',
    );
  }
  if (!pkceMatches(form.get('code_verifier') ?? '', pending.codeChallenge)) {
    return oauthError(reply, 400, 'invalid_grant', 'code_verifier does not match code_challenge');
  }
  return noStore(reply).send(await tokenResponse(state, pending, now));
}

async function tokenResponse(
  state: IssuerState,
  pending: PendingCode,
  nowMs: number,
): Promise<Record<string, unknown>> {
  const { user, issuer, root, signing } = state;
  const now = Math.floor(nowMs / 1000);
  const idToken = await new SignJWT({
    ...(pending.nonce !== undefined && { nonce: pending.nonce }),
    email: user.email,
    email_verified: true,
    groups: user.groups,
  })
    .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(user.subject)
    .setAudience(state.opts.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + tokenTtlSec)
    .sign(signing.privateKey);
  const accessToken = await new SignJWT({ scope: pending.scope, client_id: state.opts.clientId })
    .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setSubject(user.subject)
    .setAudience(`${root}/userinfo`)
    .setIssuedAt(now)
    .setExpirationTime(now + tokenTtlSec)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(signing.privateKey);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: tokenTtlSec,
    id_token: idToken,
    scope: pending.scope,
  };
}

/** /userinfo: the fixed user, for an access token this issuer made. */
async function userinfo(
  state: IssuerState,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const header = req.headers.authorization ?? '';
  const subject = await accessTokenSubject(
    state,
    header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '',
  );
  if (subject === undefined) {
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
    return oauthError(reply, 401, 'invalid_token', 'a valid access token is required');
  }
  const { user } = state;
  return noStore(reply).send({
    sub: subject,
    email: user.email,
    email_verified: true,
    groups: user.groups,
  });
}

async function accessTokenSubject(state: IssuerState, token: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, state.signing.publicKey, {
      algorithms: ['RS256'],
      issuer: state.issuer,
      audience: `${state.root}/userinfo`,
      typ: 'at+jwt',
      currentDate: new Date(state.now()),
    });
    return payload.sub;
  } catch {
    return undefined;
  }
}

/** client_secret_basic (RFC 6749 §2.3.1: form-encoded id and secret) or client_secret_post. */
function clientOf(
  authorization: string | undefined,
  form: URLSearchParams,
): { id: string; secret: string } | undefined {
  if (authorization !== undefined) {
    if (!authorization.startsWith('Basic ') || form.has('client_secret')) return undefined;
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return {
        id: formDecode(decoded.slice(0, colon)),
        secret: formDecode(decoded.slice(colon + 1)),
      };
    } catch {
      return undefined;
    }
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id === null || secret === null ? undefined : { id, secret };
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function isRegisteredClient(
  opts: DevIssuerOptions,
  client: { id: string; secret: string },
): boolean {
  return client.id === opts.clientId && sameSecret(client.secret, opts.clientSecret);
}

/** Compares digests, so neither the content nor the length leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  return sha256(verifier).toString('base64url') === challenge;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function paramsOf(req: FastifyRequest): URLSearchParams {
  if (req.method === 'POST' && req.body instanceof URLSearchParams) return req.body;
  return new URL(req.url, 'http://issuer.invalid').searchParams;
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** The OAuth 2.0 error body (RFC 6749 §5.2). */
function oauthError(
  reply: FastifyReply,
  status: number,
  error: string,
  description: string,
): FastifyReply {
  return noStore(reply)
    .code(status)
    .type('application/json')
    .send({ error, error_description: description });
}
