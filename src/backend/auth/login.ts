// The login flow of the front door (docs/protocol.md §3.5–3.7, §4): start a login at the OIDC
// provider, finish it at the callback, and recognise the session on later requests, by a CLI
// bearer token or a browser cookie. What it stores lives in the session store, so any replica can
// serve any step; the state parameter is an opaque random key of the pending login (upstream
// sends the request itself, unsigned, through the IdP).
//
// Sessions cannot be fixed or taken over: upstream keys a session by the client's session_id
// and a second login with the same id overwrites the record, so whoever holds a token for that
// id acts as whoever logged in last. Here the key is random and made at the callback; the
// client's session_id is only carried along (the web UI hands it back to the CLI), a stored
// record is never replaced, and a token or cookie is accepted only when its subject, issuer and
// cluster are those of the record it names.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../runtime/clock.ts';
import { BackendError } from '../errors.ts';
import type { AuthorizeRequest, SessionRecord, SessionStore } from '../session/store.ts';
import { checkAuthorizeRequest } from './authorize-request.ts';
import { browserBinding, sameBrowser } from './browser-binding.ts';
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
  verify(
    token: string,
  ): Promise<{ sid: string; sub: string; iss: string; cid: string } | undefined>;
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

  /**
   * /api/authorize: checks the request, remembers it, and returns the IdP URL to go to.
   * `browserNonce` is the login cookie of the browser (./browser-binding.ts): only that browser
   * may finish the login.
   */
  async start(request: AuthorizeRequest, browserNonce: string): Promise<URL> {
    checkAuthorizeRequest(request);
    checkRedirect(request.redirect_url, request.client_type, this.#d.ownOrigin);
    const login = await this.#d.relyingParty.begin();
    await this.#d.store.putLogin(
      login.state,
      {
        request,
        codeVerifier: login.codeVerifier,
        nonce: login.nonce,
        browserBinding: browserBinding(browserNonce),
      },
      pendingLoginTtlMs,
    );
    return login.authorizationUrl;
  }

  /**
   * /api/callback: takes the pending login (once: a replayed callback finds nothing), checks
   * that the browser is the one that started it, verifies the IdP's answer, stores a new
   * session and says where to send the browser.
   */
  async finish(callbackUrl: URL, browserNonce: string | undefined): Promise<LoginResult> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    // Our states are 32 random bytes, base64url: anything else cannot be a login of ours.
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) {
      throw new BackendError('BadRequest', 'invalid state parameter');
    }
    const pending = await this.#d.store.takeLogin(state);
    if (!pending) {
      throw new BackendError('BadRequest', 'Unknown or expired login', {
        details:
          'This login was already used, took longer than 10 minutes, or was started elsewhere. ' +
          'Start the login again.',
      });
    }
    // Before the code is redeemed: a link from someone else's login must not log this browser
    // in (login CSRF). The login is used up either way.
    if (!sameBrowser(browserNonce, pending.browserBinding)) {
      throw new BackendError('BadRequest', 'Login started in another browser', {
        details:
          'This login link was not started in this browser (its login cookie is missing or ' +
          'different), so it is refused: someone may have sent you their login link. Start ' +
          'the login again yourself, and allow cookies for this site.',
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
      key: randomBytes(32).toString('base64url'),
      sessionId: request.session_id,
      subject: identity.subject,
      issuer: identity.issuer,
      groups: identity.groups,
      clusterId: request.cluster_id,
      redirectUrl: request.redirect_url,
      createdAt: now,
      expiresAt: now + this.#d.sessionTtlMs,
    };
    if (!(await this.#d.store.createSession(session))) {
      // 256 random bits do not collide; a stored record is never replaced.
      throw new Error('BUG: a new session key is already in use');
    }
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
   * The session of a request to a protected route (protocol.md §4.6): a valid bearer token first, else
   * the cookie for the request's cluster; either way the session must still be in the store.
   */
  async authenticate(credentials: {
    bearer?: string;
    cookie: (name: string) => string | undefined;
    clusterId: string;
  }): Promise<{ session: SessionRecord; via: 'token' | 'cookie' }> {
    let claimed: Claimed | undefined;
    let via: 'token' | 'cookie' = 'token';
    if (credentials.bearer !== undefined) {
      const claims = await this.#d.tokens.verify(credentials.bearer);
      if (claims) {
        claimed = {
          key: claims.sid,
          subject: claims.sub,
          issuer: claims.iss,
          clusterId: claims.cid,
        };
      }
    }
    if (claimed === undefined) {
      via = 'cookie';
      const name = cookieName(credentials.clusterId);
      const value = credentials.cookie(name);
      claimed = value === undefined ? undefined : this.#d.cookies.open(name, value);
    }
    if (claimed === undefined) throw unauthenticated('No valid session found');
    const session = await this.#d.store.getSession(claimed.key);
    if (!session || session.expiresAt <= this.#d.clock.now() || !sameIdentity(session, claimed)) {
      throw unauthenticated('Session has expired or is invalid');
    }
    return { session, via };
  }

  /** /api/logout: forgets the session server-side too (upstream keeps it until it expires). */
  async logout(cookie: (name: string) => string | undefined, clusterId: string): Promise<void> {
    const name = cookieName(clusterId);
    const value = cookie(name);
    const claimed = value === undefined ? undefined : this.#d.cookies.open(name, value);
    if (!claimed) return;
    const stored = await this.#d.store.getSession(claimed.key);
    if (stored && sameIdentity(stored, claimed)) await this.#d.store.deleteSession(claimed.key);
  }
}

/** What a credential says about its session. */
type Claimed = Pick<SessionRecord, 'key' | 'subject' | 'issuer' | 'clusterId'>;

/** A credential counts only for the record it was made for: same subject, issuer and cluster. */
function sameIdentity(stored: SessionRecord, claimed: Claimed): boolean {
  return (
    stored.key === claimed.key &&
    stored.subject === claimed.subject &&
    stored.issuer === claimed.issuer &&
    stored.clusterId === claimed.clusterId
  );
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
