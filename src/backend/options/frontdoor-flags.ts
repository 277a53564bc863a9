// The flags of the HTTP front door: listener, OIDC login, cookies, session store
// (docs/protocol.md §9), with upstream's names and defaults, plus the Redis connection settings and
// the token key that upstream lacks (differences.md item 3).
import type { FlagSpec } from '../../cli/flags.ts';

export const frontDoorDefaults = {
  listenAddress: '127.0.0.1:8080',
  frontend: 'embedded',
  tokenExpiry: '1h',
  oidcType: 'external',
  redisDatabase: '0',
  redisKeyPrefix: 'kube-bind-ts:',
  loginRateLimit: '60',
  loginRateBurst: '20',
  maxPendingLogins: '10000',
} as const;

const s = (name: string, help: string, defaultText?: string): FlagSpec =>
  defaultText === undefined
    ? { name, kind: 'string', help }
    : { name, kind: 'string', help, defaultText };
const list = (name: string, help: string): FlagSpec => ({ name, kind: 'list', help });

export const frontDoorFlags: readonly FlagSpec[] = [
  s('listen-address', 'host:port of the HTTP(S) server', frontDoorDefaults.listenAddress),
  s('listen-ip', 'deprecated: use --listen-address'),
  s('listen-port', 'deprecated: use --listen-address'),
  s('tls-cert-file', 'serve HTTPS with this certificate (PEM; with --tls-key-file)'),
  s('tls-key-file', 'private key of --tls-cert-file (PEM)'),
  s('frontend', 'embedded (the built-in UI) or an http:// URL to proxy the UI from', 'embedded'),
  s('token-expiry', 'lifetime of a login session and its CLI token', frontDoorDefaults.tokenExpiry),
  {
    name: 'konnector-host-alias',
    kind: 'array',
    help: 'IP:host1,host2 host aliases for konnector pods (repeatable)',
  },
  s('testing-auto-select', 'accepted for compatibility; unused'),
  s('oidc-type', 'external (an OIDC provider) or embedded (development only)', 'external'),
  s('oidc-issuer-url', 'issuer URL of the OIDC provider; embedded: <backend origin>/oidc'),
  {
    name: 'oidc-embedded-allow-remote',
    kind: 'bool',
    help: 'let the embedded issuer (which logs in anyone) serve a non-loopback --listen-address',
    defaultText: 'false',
  },
  s('oidc-issuer-client-id', 'OIDC client id (external)'),
  s('oidc-issuer-client-secret', 'OIDC client secret; env OIDC_CLIENT_SECRET wins'),
  s('oidc-callback-url', 'redirect URI registered at the OIDC provider, ending in /api/callback'),
  s('oidc-authorize-url', 'accepted for compatibility; unused'),
  s('oidc-ca-file', 'PEM CA bundle to trust for the OIDC provider'),
  list('oidc-allowed-groups', 'OIDC groups allowed to bind'),
  list('oidc-allowed-users', 'OIDC subjects (sub) allowed to bind'),
  s(
    'cookie-signing-key',
    'base64 key (32 or 64 bytes) signing session cookies; env COOKIE_SIGNING_KEY wins',
  ),
  s(
    'cookie-encryption-key',
    'base64 key (16, 24 or 32 bytes) encrypting session cookies; env COOKIE_ENCRYPTION_KEY wins',
  ),
  s(
    'token-signing-key',
    'base64 key (32 bytes or more) signing CLI tokens; env TOKEN_SIGNING_KEY wins',
  ),
  s('redis-addr', 'host:port of Redis; sessions are kept in memory when unset'),
  s('redis-username', 'Redis ACL user (password from env REDIS_PASSWORD)'),
  s('redis-db', 'Redis database number', frontDoorDefaults.redisDatabase),
  { name: 'redis-tls', kind: 'bool', help: 'connect to Redis over TLS', defaultText: 'false' },
  s('redis-ca-file', 'PEM CA bundle to trust for Redis TLS'),
  s('redis-key-prefix', 'prefix of every key the backend writes', frontDoorDefaults.redisKeyPrefix),
  s(
    'login-rate-limit',
    'requests per minute per client address to /api/authorize and /api/callback; 0: no limit',
    frontDoorDefaults.loginRateLimit,
  ),
  s(
    'login-rate-burst',
    'requests a client address may send at once before --login-rate-limit applies',
    frontDoorDefaults.loginRateBurst,
  ),
  s(
    'max-pending-logins',
    'logins in flight kept at most (per replica in memory, in total with Redis)',
    frontDoorDefaults.maxPendingLogins,
  ),
];
