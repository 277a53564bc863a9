// The session store: where logins in flight and logged-in sessions live, so that every replica
// of the backend sees the same ones (docs/protocol.md §4.7–4.8, differences.md item 3). Two
// implementations share this interface and one contract test (test/contract/session-store.test.ts):
// in memory (one replica; the default) and Redis (several replicas behind a load balancer).

/** A login between /api/authorize and /api/callback, stored under its opaque `state`. */
export interface PendingLogin {
  /** What the client asked for at /api/authorize (all five strings, possibly empty). */
  request: AuthorizeRequest;
  /** The PKCE code verifier (base64url, 43 characters). */
  codeVerifier: string;
  /** The OIDC nonce the ID token must carry. */
  nonce: string;
  /**
   * SHA-256 (base64url) of the login cookie of the browser that started the login: the callback
   * is only accepted from that browser (login CSRF, see ../auth/browser-binding.ts).
   */
  browserBinding: string;
}

/** The parameters of /api/authorize (docs/protocol.md §3.5, §5.6). */
export interface AuthorizeRequest {
  redirect_url: string;
  session_id: string;
  cluster_id: string;
  client_type: string;
  consumer_id: string;
}

/**
 * A logged-in session (docs/protocol.md §4.7). Unlike upstream it is not keyed by the
 * client-chosen session id: the key is random and made by the server, so nobody can choose or
 * guess the record a credential names (session fixation).
 */
export interface SessionRecord {
  /** The store key: 32 random bytes, base64url, made at the callback. CLI token `sid`. */
  key: string;
  /**
   * The client's `session_id` of the login: an opaque hand-off value (echoed to the web UI and
   * in BindingResponse.authentication.oauth2CodeGrant.sid), never used to find a session.
   */
  sessionId: string;
  /** OIDC `sub`, `iss` and `groups` of the verified ID token. */
  subject: string;
  issuer: string;
  groups: string[];
  /** The cluster_id of the login ("" for the default cluster). */
  clusterId: string;
  /** The redirect_url of the login. */
  redirectUrl: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  expiresAt: number;
}

/** The keys every replica must share: CLI tokens and cookies made by one work on all. */
export interface SharedKeys {
  /** HMAC-SHA256 key of CLI tokens, 32 bytes. */
  tokenSigning: Buffer;
  /** HMAC-SHA256 key of cookies, 32 or 64 bytes. */
  cookieSigning: Buffer;
  /** AES-GCM key of cookies, 16, 24 or 32 bytes. */
  cookieEncryption: Buffer;
}

/** How many logins in flight a store keeps at most unless told otherwise. */
export const defaultMaxPendingLogins = 10_000;

export interface SessionStore {
  /**
   * Stores a login in flight under its state for `ttlMs`; a second put replaces it (one with no
   * positive TTL just removes the old one). /api/authorize is public, so the number of logins
   * is capped: when a new one would exceed the cap, the ones closest to expiry are dropped
   * first; the new one is always kept.
   */
  putLogin(state: string, login: PendingLogin, ttlMs: number): Promise<void>;
  /**
   * Returns the login and removes it, atomically: of two concurrent takes (two replicas serving
   * a replayed callback) at most one gets it. Missing or expired → undefined.
   */
  takeLogin(state: string): Promise<PendingLogin | undefined>;
  /**
   * Stores a new session under its key until its expiresAt. A stored record never changes: when
   * a session is already stored under that key this stores nothing and returns false (keys are
   * random, so that only happens by mistake or attack). An expired session is not stored (true).
   */
  createSession(session: SessionRecord): Promise<boolean>;
  /** The session stored under `key`, or undefined when it is missing or expired. */
  getSession(key: string): Promise<SessionRecord | undefined>;
  deleteSession(key: string): Promise<void>;
  /**
   * The keys shared by all replicas: on first use `generate()` is stored (first writer wins,
   * so two replicas starting together end with the same keys); later calls return the stored ones.
   */
  sharedKeys(generate: () => SharedKeys): Promise<SharedKeys>;
  /** Rejects when the store cannot be reached (used at start-up and by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
