// The OIDC relying party (docs/protocol.md §3.5–3.6, §4.2): builds the authorization request
// (opaque random state, nonce, PKCE S256) and finishes the login at the callback by exchanging the
// code and VERIFYING the ID token — signature against the issuer's JWKS, `iss`, `aud`, `exp`,
// `nonce` (differences.md item 1; upstream only decodes it). openid-client does the protocol work.
// It skips the signature check for ID tokens from the token endpoint unless non-repudiation
// checks are on (TLS is meant to vouch for the issuer), so they are always turned on here: a
// plain-http IdP or a compromised path to it must not be able to mint identities.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import * as client from 'openid-client';
import { LoginError } from './errors.ts';

export interface RelyingPartyOptions {
  issuerUrl: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** --oidc-callback-url: the redirect_uri registered at the IdP. */
  callbackUrl: string;
  /** PEM content of --oidc-ca-file: the only CA trusted for https requests to the IdP. */
  caPem?: string;
  scopes?: string[];
  /** Allowed clock difference to the IdP for `exp`/`iat`/`nbf`, in seconds (default 30). */
  clockToleranceSec?: number;
}

export interface LoginStart {
  authorizationUrl: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface VerifiedIdentity {
  subject: string;
  issuer: string;
  groups: string[];
  email?: string;
}

export interface RelyingParty {
  /** A fresh login: where to send the browser, and what the callback must match. */
  begin(): Promise<LoginStart>;
  /** Verifies the IdP's answer at the callback; rejects with a LoginError. */
  complete(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<VerifiedIdentity>;
}

/** What upstream asks for (protocol.md §3.5); `groups` feeds the SubjectAccessReview. */
export const defaultScopes = ['openid', 'profile', 'email', 'offline_access', 'groups'];

/** Requests to the IdP give up after this long: a login must not hang on a stuck IdP. */
const requestTimeoutSec = 15;

/**
 * A relying party that discovers the issuer on first use (the embedded issuer is this very
 * server, not listening yet at start-up). A failed discovery is not remembered: the next login
 * tries again, so an IdP that was down at the first attempt does not break logins for good.
 */
export function relyingParty(options: RelyingPartyOptions): RelyingParty {
  return relyingPartyOn(
    options,
    once(() => discover(options)),
  );
}

/** A relying party discovered now (--oidc-type=external: a wrong issuer fails the start). */
export async function discoverRelyingParty(options: RelyingPartyOptions): Promise<RelyingParty> {
  const config = await discover(options);
  return relyingPartyOn(options, () => Promise.resolve(config));
}

function relyingPartyOn(
  options: RelyingPartyOptions,
  configuration: () => Promise<client.Configuration>,
): RelyingParty {
  const scope = (options.scopes ?? defaultScopes).join(' ');
  return {
    async begin() {
      const config = await configuration();
      const state = randomBytes(32).toString('base64url');
      const nonce = randomBytes(32).toString('base64url');
      const codeVerifier = client.randomPKCECodeVerifier();
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: options.callbackUrl,
        response_type: 'code',
        scope,
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl, state, nonce, codeVerifier };
    },

    async complete(callbackUrl, expected) {
      checkAuthorizationResponse(callbackUrl.searchParams, expected.state, options.issuerUrl);
      const config = await configuration();
      // The redirect_uri sent with the code must be the registered one, whatever host name or
      // proxy the browser reached the callback through.
      const current = new URL(options.callbackUrl);
      current.search = callbackUrl.search;
      let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
      try {
        tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
          expectedNonce: expected.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        throw exchangeFailure(err, options.issuerUrl);
      }
      const claims = tokens.claims();
      if (!claims) throw idTokenInvalid(options.issuerUrl, 'the token response has no ID token');
      return identityOf(claims, options.issuerUrl);
    },
  };
}

/** The IdP's own refusal and a foreign state are told apart before any request is made. */
function checkAuthorizationResponse(
  params: URLSearchParams,
  expectedState: string,
  issuer: string,
): void {
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    throw new LoginError('idp_error', `The identity provider refused the login: ${clip(error)}`, {
      code: 'Unauthenticated',
      details:
        (description ? `${clip(description)}. ` : '') +
        `The identity provider ${issuer} did not authenticate you; start the login again, or ` +
        'ask its administrator whether your account may use this client.',
    });
  }
  if (params.get('state') !== expectedState) {
    throw new LoginError('state_mismatch', 'The login callback does not belong to this login', {
      details:
        'The state parameter does not match the login that was started. Start the login again.',
    });
  }
  if (!params.get('code')) {
    throw new LoginError('idp_error', 'The identity provider sent no authorization code', {
      code: 'BadRequest',
      details: `The callback from ${issuer} carries neither a code nor an error. Start the login again.`,
    });
  }
}

function identityOf(claims: client.IDToken, issuer: string): VerifiedIdentity {
  const groups = claims['groups'];
  if (groups !== undefined && !isStringArray(groups)) {
    throw idTokenInvalid(issuer, 'its "groups" claim is not a list of strings');
  }
  const email = claims['email'];
  return {
    subject: claims.sub,
    issuer: claims.iss,
    groups: groups ?? [],
    ...(typeof email === 'string' && { email }),
  };
}

async function discover(options: RelyingPartyOptions): Promise<client.Configuration> {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(options.issuerUrl);
  } catch {
    throw discoveryFailed(options.issuerUrl, 'it is not an absolute URL');
  }
  const execute = [client.enableNonRepudiationChecks];
  // Plain http only where the operator asked for it (a loopback dex, the embedded issuer). The
  // library marks this deprecated only to make it stand out; it is the documented switch.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  if (issuerUrl.protocol === 'http:') execute.push(client.allowInsecureRequests);
  const metadata: Partial<client.ClientMetadata> = {
    client_id: options.clientId,
    redirect_uris: [options.callbackUrl],
    response_types: ['code'],
    [client.clockTolerance]: options.clockToleranceSec ?? 30,
  };
  if (options.clientSecret !== undefined) metadata.client_secret = options.clientSecret;
  let config: client.Configuration;
  try {
    config = await client.discovery(
      issuerUrl,
      options.clientId,
      metadata,
      clientAuthentication(options.clientSecret),
      {
        execute,
        timeout: requestTimeoutSec,
        ...(options.caPem !== undefined && { [client.customFetch]: fetchTrusting(options.caPem) }),
      },
    );
  } catch (err) {
    const named = discoveredIssuer(err);
    if (named !== undefined) throw issuerMismatch(options.issuerUrl, named);
    throw discoveryFailed(options.issuerUrl, describe(err), options.caPem !== undefined);
  }
  // openid-client compares normalised URLs; the ID tokens' `iss` is compared exactly, so the
  // flag must be exactly the issuer (as upstream requires) or every login would fail later.
  const discovered = config.serverMetadata().issuer;
  if (discovered !== options.issuerUrl) throw issuerMismatch(options.issuerUrl, discovered);
  return config;
}

/** The issuer a discovery document named, when openid-client refused it for not matching. */
function discoveredIssuer(err: unknown): string | undefined {
  if (
    !(err instanceof client.ClientError) ||
    err.code !== 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
  ) {
    return undefined;
  }
  const cause = err.cause as { attribute?: unknown; body?: { issuer?: unknown } } | undefined;
  const issuer = cause?.body?.issuer;
  return cause?.attribute === 'issuer' && typeof issuer === 'string' ? issuer : undefined;
}

function issuerMismatch(expected: string, discovered: string): LoginError {
  return discoveryFailed(
    expected,
    `the discovery document names the issuer ${JSON.stringify(clip(discovered))}; ` +
      'set --oidc-issuer-url to exactly that value',
  );
}

/**
 * A confidential client authenticates with HTTP Basic, the default of OAuth 2.0, unless the IdP
 * only lists client_secret_post; without a secret the client is public (PKCE protects the code).
 */
function clientAuthentication(secret: string | undefined): client.ClientAuth {
  if (secret === undefined || secret === '') return client.None();
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, c, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const postOnly =
      methods !== undefined &&
      !methods.includes('client_secret_basic') &&
      methods.includes('client_secret_post');
    (postOnly ? post : basic)(as, c, body, headers);
  };
}

/** openid-client's failure codes that mean "no usable answer from the IdP" rather than a bad token. */
const transportCodes = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
]);

function exchangeFailure(err: unknown, issuer: string): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof client.ResponseBodyError) {
    const description = err.error_description
      ? `: ${clip(err.error_description).replace(/\.+$/, '')}`
      : '';
    return new LoginError(
      'token_exchange_failed',
      'The identity provider refused the authorization code',
      {
        code: 'Unauthenticated',
        details:
          `${issuer} answered ${err.error}${description}. The code may have been used already ` +
          'or expired, or the client id/secret or redirect URL do not match the IdP. Start the ' +
          'login again; if it keeps failing, check --oidc-issuer-client-id, the client secret ' +
          'and --oidc-callback-url.',
      },
    );
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    return new LoginError('token_exchange_failed', 'The identity provider refused this client', {
      code: 'Unauthenticated',
      details: `${issuer} did not accept the client credentials; check the client id and secret.`,
    });
  }
  if (isTransport(err)) {
    return new LoginError('token_exchange_failed', 'The identity provider could not be reached', {
      details: `Exchanging the authorization code at ${issuer} failed: ${describe(err)}. Try again.`,
    });
  }
  const clockProblem =
    err instanceof client.ClientError && err.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED';
  return idTokenInvalid(issuer, describe(err), clockProblem);
}

/**
 * No usable answer from the IdP: fetch's "fetch failed" (a TypeError without a code; openid-client
 * flags its own argument errors with one) or a non-OAuth, non-JSON answer, a timeout.
 */
function isTransport(err: unknown): boolean {
  if (err instanceof TypeError) return (err as { code?: unknown }).code === undefined;
  return (
    err instanceof client.ClientError && err.code !== undefined && transportCodes.has(err.code)
  );
}

function idTokenInvalid(issuer: string, why: string, clockProblem = false): LoginError {
  const hint = clockProblem
    ? 'If the clocks of this backend and the identity provider differ, correct them.'
    : 'Report this to the administrator of the identity provider.';
  return new LoginError('id_token_invalid', 'The identity provider sent an invalid ID token', {
    details: `The ID token from ${issuer} failed verification: ${why}. Nobody was logged in. ${hint}`,
  });
}

function discoveryFailed(issuer: string, why: string, withCa = false): LoginError {
  const hint = withCa
    ? 'Check --oidc-issuer-url and that --oidc-ca-file holds the CA of its certificate.'
    : 'Check --oidc-issuer-url, and set --oidc-ca-file if its certificate is signed by a private CA.';
  return new LoginError('discovery_failed', `Cannot use the OIDC issuer ${issuer}`, {
    details: `Discovery of ${issuer} failed: ${why}. ${hint}`,
  });
}

/**
 * A one-line account of a failure from openid-client or the network: the library's message, the
 * claim or attribute concerned, and the system error code. Never the causes' payloads, which
 * hold tokens and response bodies.
 */
function describe(err: unknown): string {
  const messages: string[] = [];
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const detail = detailOf(current);
    const part = current.message + (detail ? ` (${detail})` : '');
    // openid-client often wraps an error in one with the same message: keep the inner one.
    if (messages.at(-1) === current.message) parts.pop();
    else messages.push(current.message);
    parts.push(part);
    current = current.cause;
  }
  // Generic wrappers ("fetch failed") say less than what they wrap: keep the two innermost.
  return clip(parts.slice(-2).join(': ') || 'unknown error');
}

function detailOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  const cause = err.cause as { claim?: unknown; attribute?: unknown } | undefined;
  const field = cause?.claim ?? cause?.attribute;
  const bits = [
    typeof field === 'string' ? `"${field}"` : undefined,
    typeof code === 'string' && !code.startsWith('OAUTH_') ? code : undefined,
  ].filter((b) => b !== undefined);
  return bits.length > 0 ? bits.join(', ') : undefined;
}

/** Memoises a successful load; a failed one is forgotten so that the next call retries. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Text from the IdP or the network, shortened: it ends up in an HTTP answer. */
function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The largest IdP answer read (discovery, JWKS, token response are a few KiB). */
const maxResponseBytes = 4 << 20;

/**
 * fetch for openid-client that trusts only `caPem` for https (--oidc-ca-file, differences.md item
 * 11). Node's fetch takes a CA only through an undici dispatcher, which this layer may not use,
 * so https goes through node:https; plain http keeps the built-in fetch.
 */
function fetchTrusting(caPem: string): client.CustomFetch {
  const agent = new Agent({ ca: caPem, keepAlive: false });
  return async (url, init) => {
    const target = new URL(url);
    if (target.protocol !== 'https:') return fetch(url, { ...init, body: init.body ?? null });
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : Buffer.from(await new Response(init.body).arrayBuffer());
    const headers: Record<string, string> = { ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      // Fail as fetch does, so that openid-client and the callers tell a network failure
      // (TypeError "fetch failed") and a timeout (the signal's reason) from a bad answer.
      const fail = (cause: unknown): void => {
        const aborted = init.signal?.aborted === true;
        // An aborted signal's reason is the DOMException fetch would reject with.
        reject(aborted ? (init.signal?.reason as Error) : new TypeError('fetch failed', { cause }));
      };
      const req = request(
        target,
        { method: init.method, headers, agent, ...(init.signal && { signal: init.signal }) },
        (res) => {
          readBody(res).then((bytes) => {
            resolve(toResponse(res, bytes));
          }, fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  };
}

async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxResponseBytes) {
      res.destroy();
      throw new Error(`the identity provider's answer is larger than ${maxResponseBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Statuses whose Response may not have a body. */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage, bytes: Buffer): Response {
  const status = res.statusCode ?? 502;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
  }
  return new Response(nullBodyStatuses.has(status) ? null : bytes, {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
}
