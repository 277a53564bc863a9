// The login flow of the front door (spec protocol.md §3.5–3.7, §4): start a login at the OIDC
// provider, finish it at the callback, and recognise the session on later requests, by a CLI
// bearer token or a browser cookie. What it stores lives in the session store, so any replica can
// serve any step; the state parameter is an opaque random key of the pending login (upstream
// sends the request itself, unsigned, through the IdP).
import type { Clock } from '../../runtime/clock.ts';
import { BackendError } from '../errors.ts';
import type { AuthorizeRequest, SessionRecord, SessionStore } from '../session/store.ts';
import { cookieName } from './cookies.ts';
import { checkRedirect } from './redirects.ts';

/** The OIDC relying party (./oidc.ts). */
export interface RelyingPartyPort {
  begin(): Promise<{ authorizationUrl: URL; state: string; nonce: string; codeVerifier: string }>;
  complete(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<{ subject: string; issuer: string; groups: string[] }>;
}

/** CLI bearer tokens (./tokens.ts). */
export interface TokenPort {
  issue(session: SessionRecord): Promise<string>;
  verify(token: string): Promise<{ sid: string } | undefined>;
}

/** Session cookies (./cookies.ts). */
export interface CookiePort {
  seal(name: string, session: SessionRecord): string;
  open(name: string, value: string): SessionRecord | undefined;
}

export interface LoginDeps {
  relyingParty: RelyingPartyPort;
  store: SessionStore;
  tokens: TokenPort;
  cookies: CookiePort;
  clock: Clock;
  /** Lifetime of a session, its cookie and its token (--token-expiry). */
  sessionTtlMs: number;
  /** The backend's public origin (of --oidc-callback-url): where web logins may return to. */
  ownOrigin: string;
}

/** How long a user has between /api/authorize and /api/callback (upstream: 10 minutes). */
export const pendingLoginTtlMs = 10 * 60_000;

/** What the callback hands back to the client. */
export type LoginResult =
  | { kind: 'cli'; redirect: URL; session: SessionRecord }
  | { kind: 'ui'; redirect: URL; session: SessionRecord; cookie: { name: string; value: string } };

export class LoginService {
  readonly #d: LoginDeps;

  constructor(deps: LoginDeps) {
    this.#d = deps;
  }

  /** /api/authorize: checks the request, remembers it, and returns the IdP URL to go to. */
  async start(request: AuthorizeRequest): Promise<URL> {
    if (request.redirect_url === '' || request.session_id === '') {
      throw new BackendError('BadRequest', 'missing redirect_url or session_id');
    }
    if (request.session_id.length > 256) {
      throw new BackendError('BadRequest', 'session_id is longer than 256 characters');
    }
    checkRedirect(request.redirect_url, request.client_type, this.#d.ownOrigin);
    const login = await this.#d.relyingParty.begin();
    await this.#d.store.putLogin(
      login.state,
      { request, codeVerifier: login.codeVerifier, nonce: login.nonce },
      pendingLoginTtlMs,
    );
    return login.authorizationUrl;
  }

  /**
   * /api/callback: takes the pending login (once: a replayed callback finds nothing), verifies
   * the IdP's answer, stores the session and says where to send the browser.
   */
  async finish(callbackUrl: URL): Promise<LoginResult> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    if (state === '') throw new BackendError('BadRequest', 'invalid state parameter');
    const pending = await this.#d.store.takeLogin(state);
    if (!pending) {
      throw new BackendError('BadRequest', 'Unknown or expired login', {
        details:
          'This login was already used, took longer than 10 minutes, or was started elsewhere. ' +
          'Start the login again.',
      });
    }
    const { request } = pending;
    const idpError = callbackUrl.searchParams.get('error');
    if (idpError !== null) {
      const description = callbackUrl.searchParams.get('error_description') ?? '';
      throw new LoginFailed(request, idpError, description);
    }
    const identity = await this.#d.relyingParty.complete(callbackUrl, {
      state,
      nonce: pending.nonce,
      codeVerifier: pending.codeVerifier,
    });
    const now = this.#d.clock.now();
    const session: SessionRecord = {
      sessionId: request.session_id,
      subject: identity.subject,
      issuer: identity.issuer,
      groups: identity.groups,
      clusterId: request.cluster_id,
      redirectUrl: request.redirect_url,
      createdAt: now,
      expiresAt: now + this.#d.sessionTtlMs,
    };
    await this.#d.store.putSession(session);
    const redirect = checkRedirect(request.redirect_url, request.client_type, this.#d.ownOrigin);
    if (request.client_type === 'cli') {
      redirect.searchParams.set('access_token', await this.#d.tokens.issue(session));
      redirect.searchParams.set('token_type', 'Bearer');
      redirect.searchParams.set('expires_in', String(Math.floor(this.#d.sessionTtlMs / 1000)));
      if (request.cluster_id !== '') redirect.searchParams.set('cluster_id', request.cluster_id);
      redirect.searchParams.sort();
      return { kind: 'cli', redirect, session };
    }
    const name = cookieName(request.cluster_id);
    if (request.cluster_id !== '') redirect.searchParams.set('cluster_id', request.cluster_id);
    redirect.searchParams.set('session_id', request.session_id);
    return {
      kind: 'ui',
      redirect,
      session,
      cookie: { name, value: this.#d.cookies.seal(name, session) },
    };
  }

  /**
   * The session of a request to a protected route (spec §4.6): a valid bearer token first, else
   * the cookie for the request's cluster; either way the session must still be in the store.
   */
  async authenticate(credentials: {
    bearer?: string;
    cookie: (name: string) => string | undefined;
    clusterId: string;
  }): Promise<{ session: SessionRecord; via: 'token' | 'cookie' }> {
    let sessionId: string | undefined;
    let via: 'token' | 'cookie' = 'token';
    if (credentials.bearer !== undefined) {
      sessionId = (await this.#d.tokens.verify(credentials.bearer))?.sid;
    }
    if (sessionId === undefined) {
      via = 'cookie';
      const name = cookieName(credentials.clusterId);
      const value = credentials.cookie(name);
      sessionId = value === undefined ? undefined : this.#d.cookies.open(name, value)?.sessionId;
    }
    if (sessionId === undefined) throw unauthenticated('No valid session found');
    const session = await this.#d.store.getSession(sessionId);
    if (!session || session.expiresAt <= this.#d.clock.now()) {
      throw unauthenticated('Session has expired or is invalid');
    }
    return { session, via };
  }

  /** /api/logout: forgets the session server-side too (upstream keeps it until it expires). */
  async logout(cookie: (name: string) => string | undefined, clusterId: string): Promise<void> {
    const name = cookieName(clusterId);
    const value = cookie(name);
    const session = value === undefined ? undefined : this.#d.cookies.open(name, value);
    if (session) await this.#d.store.deleteSession(session.sessionId);
  }
}

/** The IdP refused the login; the CLI hears about it at its loopback listener. */
export class LoginFailed extends BackendError {
  readonly request: AuthorizeRequest;
  readonly idpError: string;
  readonly description: string;
  constructor(request: AuthorizeRequest, idpError: string, description: string) {
    super('Unauthenticated', `Login failed at the identity provider: ${idpError}`, {
      details: description,
    });
    this.request = request;
    this.idpError = idpError;
    this.description = description;
  }
}

function unauthenticated(details: string): BackendError {
  return new BackendError('Unauthenticated', 'Authentication required', { details });
}
