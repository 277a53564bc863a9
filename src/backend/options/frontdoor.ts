// The front door's options: where the HTTP server listens, how users log in (OIDC), and where
// sessions live. Required OIDC flags are only required when the front door is on: with
// --frontend-disabled the backend serves /healthz alone (docs/protocol.md §6.7).
import { isIP } from 'node:net';
import { parseHostAlias, type HostAlias } from '../../apis/kubebind/konnector-manifests.ts';
import { frontDoorDefaults as d } from './frontdoor-flags.ts';
import type { FlagReader } from '../../cli/reader.ts';
import * as value from './values.ts';
import { ValueError } from './values.ts';

export interface ServerOptions {
  host: string;
  port: number;
  /** HTTPS with this pair; the PEM contents are read by loadBackendOptions. */
  tls?: { certFile: string; keyFile: string; certPem?: string; keyPem?: string };
  /** The UI: the built-in one, or proxied from a development server. */
  frontend: { kind: 'embedded' } | { kind: 'proxy'; url: string };
  konnectorHostAliases: HostAlias[];
}

export interface OidcOptions {
  type: 'external' | 'embedded';
  issuerUrl: string;
  /** Absent with the embedded issuer, which makes up its own client per process. */
  clientId?: string;
  clientSecret?: string;
  callbackUrl: string;
  caFile?: string;
  /** The content of caFile, read and checked by loadBackendOptions. */
  caPem?: string;
}

export type SessionStoreOptions =
  | { kind: 'memory' }
  | {
      kind: 'redis';
      address: string;
      username?: string;
      password?: string;
      database: number;
      tls: boolean;
      caFile?: string;
      caPem?: string;
      keyPrefix: string;
    };

export interface LoginOptions {
  oidc: OidcOptions;
  /** Subjects of the kube-bind-oidc-user ClusterRoleBinding (docs/protocol.md §4.3). */
  allowedGroups: string[];
  allowedUsers: string[];
  /** Lifetime of a session, its cookie and its CLI token. */
  sessionTtlMs: number;
  /** Keys given by flags; the ones not given come from the session store (shared by replicas). */
  keys: { cookieSigning?: Buffer; cookieEncryption?: Buffer; tokenSigning?: Buffer };
  sessions: SessionStoreOptions;
  /** Per client address, on /api/authorize and /api/callback; absent: no limit. */
  rateLimit?: { perMinute: number; burst: number };
  /** The most logins in flight the session store keeps. */
  maxPendingLogins: number;
}

export type { HostAlias };

export type Environment = Readonly<Record<string, string | undefined>>;

export function readServer(r: FlagReader): ServerOptions {
  const address = listenAddress(r);
  const server: ServerOptions = {
    ...address,
    frontend: r.value('frontend', d.frontend, frontend),
    konnectorHostAliases: r
      .list('konnector-host-alias', [])
      .map((raw) => r.check('konnector-host-alias', raw, hostAlias))
      .filter((a): a is HostAlias => a !== undefined),
  };
  const certFile = r.optional('tls-cert-file', value.nonEmpty);
  const keyFile = r.optional('tls-key-file', value.nonEmpty);
  if (certFile !== undefined && keyFile !== undefined) server.tls = { certFile, keyFile };
  else if (certFile !== undefined || keyFile !== undefined) {
    const [given, missing] = certFile
      ? ['tls-cert-file', 'tls-key-file']
      : ['tls-key-file', 'tls-cert-file'];
    r.fail(given, r.raw(given) ?? '', `give --${missing} too`);
  }
  return server;
}

function listenAddress(r: FlagReader): { host: string; port: number } {
  const ip = r.optional('listen-ip', value.nonEmpty);
  if (ip === undefined) return r.value('listen-address', d.listenAddress, hostPort);
  // Upstream's deprecated pair wins when --listen-ip is given.
  const port = r.raw('listen-port') ?? '0';
  return r.check('listen-ip', `${ip}:${port}`, hostPort) ?? hostPort(d.listenAddress);
}

export function readLogin(
  r: FlagReader,
  env: Environment,
  server?: Pick<ServerOptions, 'host'>,
): LoginOptions {
  const oidc = readOidc(r, env);
  const allowRemote = r.bool('oidc-embedded-allow-remote', false);
  if (oidc.type === 'embedded' && server && !isLoopbackHost(server.host) && !allowRemote) {
    // The development issuer logs in whoever reaches it, without asking (docs/security.md,
    // "Smaller ones").
    r.fail(
      'listen-address',
      server.host,
      'the embedded development issuer (--oidc-type=embedded) logs in anyone who can reach it; ' +
        'listen on a loopback address (127.0.0.1, ::1, localhost) or acknowledge the risk with ' +
        '--oidc-embedded-allow-remote',
    );
  }
  const allowedGroups = r.list('oidc-allowed-groups', []);
  const allowedUsers = r.list('oidc-allowed-users', []);
  if (oidc.type === 'external' && allowedGroups.length === 0 && allowedUsers.length === 0) {
    r.missing('oidc-allowed-groups', 'with --oidc-type=external, or --oidc-allowed-users');
  }
  const keys: LoginOptions['keys'] = {};
  const key = <T>(name: string, convert: (raw: string) => T) => keyFrom(r, env, name, convert);
  const signing = key('cookie-signing-key', base64Key([32, 64]));
  const encryption = key('cookie-encryption-key', base64Key([16, 24, 32]));
  const token = key('token-signing-key', base64KeyAtLeast(32));
  if (signing) keys.cookieSigning = signing;
  if (encryption) keys.cookieEncryption = encryption;
  if (token) keys.tokenSigning = token;
  const perMinute = r.value('login-rate-limit', d.loginRateLimit, count(0));
  const burst = r.value('login-rate-burst', d.loginRateBurst, count(1));
  return {
    ...(perMinute > 0 && { rateLimit: { perMinute, burst } }),
    maxPendingLogins: r.value('max-pending-logins', d.maxPendingLogins, count(1)),
    oidc,
    // Upstream lets the embedded issuer's user in through system:authenticated.
    allowedGroups:
      oidc.type === 'embedded' ? [...allowedGroups, 'system:authenticated'] : allowedGroups,
    allowedUsers,
    sessionTtlMs: r.value('token-expiry', d.tokenExpiry, value.duration(60_000, '1m')),
    keys,
    sessions: readSessions(r, env),
  };
}

function readOidc(r: FlagReader, env: Environment): OidcOptions {
  const type = r.value('oidc-type', d.oidcType, oidcType);
  const issuerUrl = required(r, 'oidc-issuer-url', type === 'embedded' ? embeddedIssuer : httpURL);
  const callbackUrl = required(r, 'oidc-callback-url', callbackURL);
  const oidc: OidcOptions = { type, issuerUrl, callbackUrl };
  const clientId = r.optional('oidc-issuer-client-id', value.nonEmpty);
  if (type === 'external') {
    if (clientId === undefined && r.raw('oidc-issuer-client-id') === undefined) {
      r.missing('oidc-issuer-client-id', 'with --oidc-type=external');
    }
    if (clientId !== undefined) oidc.clientId = clientId;
    const secret = env['OIDC_CLIENT_SECRET'] || r.raw('oidc-issuer-client-secret');
    if (secret) oidc.clientSecret = secret;
  } else if (env['OIDC_CLIENT_SECRET']) {
    r.fail(
      'oidc-type',
      type,
      'the environment variable OIDC_CLIENT_SECRET is for an external issuer',
    );
  }
  const caFile = r.optional('oidc-ca-file', value.nonEmpty);
  if (caFile !== undefined) oidc.caFile = caFile;
  return oidc;
}

function readSessions(r: FlagReader, env: Environment): SessionStoreOptions {
  const address = r.optional('redis-addr', hostPortText);
  const tls = r.bool('redis-tls', false);
  const caFile = r.optional('redis-ca-file', value.nonEmpty);
  if (address === undefined) {
    for (const name of ['redis-username', 'redis-ca-file']) {
      const raw = r.raw(name);
      if (raw !== undefined) r.fail(name, raw, 'needs --redis-addr');
    }
    return { kind: 'memory' };
  }
  if (caFile !== undefined && !tls) r.fail('redis-ca-file', caFile, 'needs --redis-tls');
  const store: SessionStoreOptions = {
    kind: 'redis',
    address,
    database: r.value('redis-db', d.redisDatabase, redisDatabase),
    tls,
    keyPrefix: r.value('redis-key-prefix', d.redisKeyPrefix, (raw) => raw),
  };
  const username = r.optional('redis-username', value.nonEmpty);
  if (username !== undefined) store.username = username;
  const password = env['REDIS_PASSWORD'];
  if (password) store.password = password;
  if (caFile !== undefined) store.caFile = caFile;
  return store;
}

/** Environment variables that carry the keys, so a Secret need not appear in the pod's args. */
export const keyEnvironment: Readonly<Record<string, string>> = {
  'cookie-signing-key': 'COOKIE_SIGNING_KEY',
  'cookie-encryption-key': 'COOKIE_ENCRYPTION_KEY',
  'token-signing-key': 'TOKEN_SIGNING_KEY',
};

/** A key from its environment variable (which wins, like OIDC_CLIENT_SECRET) or its flag. */
function keyFrom<T>(
  r: FlagReader,
  env: Environment,
  name: string,
  convert: (raw: string) => T,
): T | undefined {
  const variable = keyEnvironment[name] ?? '';
  const fromEnv = env[variable];
  if (!fromEnv) return r.optional(name, convert);
  try {
    return convert(fromEnv);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    // Named by the variable, never by its value: the message must not show the key.
    r.fail(name, `$${variable}`, err.message);
    return undefined;
  }
}

/** A flag the front door cannot do without; reported as missing, with the way out. */
function required(r: FlagReader, name: string, convert: (raw: string) => string): string {
  const given = r.raw(name);
  if (given === undefined) {
    r.missing(name, 'unless --frontend-disabled');
    return '';
  }
  return r.check(name, given, convert) ?? '';
}

/** 127.0.0.0/8, ::1 or localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.split('.')[0] === '127';
}

function hostPortText(raw: string): string {
  hostPort(raw);
  return raw;
}

export function hostPort(raw: string): { host: string; port: number } {
  const colon = raw.lastIndexOf(':');
  const host = colon === -1 ? '' : raw.slice(0, colon);
  const portText = colon === -1 ? '' : raw.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new ValueError('want host:port with a port from 0 to 65535');
  }
  if (host.startsWith('[') || isIP(host) === 6) {
    // Upstream listens on tcp4 only; say so rather than fail at bind time.
    throw new ValueError('want an IPv4 address or a host name (IPv6 is not supported)');
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function frontend(raw: string): ServerOptions['frontend'] {
  if (raw === 'embedded' || raw === '') return { kind: 'embedded' };
  if (/^https?:\/\//.test(raw)) return { kind: 'proxy', url: httpURL(raw) };
  throw new ValueError('want embedded or an http(s):// URL of a UI development server');
}

function hostAlias(raw: string): HostAlias {
  const alias = parseHostAlias(raw);
  if (!alias) throw new ValueError('want IP:host1,host2');
  return alias;
}

function oidcType(raw: string): OidcOptions['type'] {
  if (raw === 'external' || raw === 'embedded') return raw;
  throw new ValueError('want external or embedded');
}

function httpURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValueError('want an absolute http:// or https:// URL');
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.host === '') {
    throw new ValueError('want an absolute http:// or https:// URL');
  }
  return raw;
}

function embeddedIssuer(raw: string): string {
  const url = new URL(httpURL(raw));
  if (url.pathname.replace(/\/$/, '') !== '/oidc' || url.search !== '') {
    throw new ValueError(
      "want the backend's own origin followed by /oidc, e.g. http://127.0.0.1:8080/oidc",
    );
  }
  return `${url.origin}/oidc`;
}

function callbackURL(raw: string): string {
  const url = new URL(httpURL(raw));
  if (!url.pathname.endsWith('/api/callback'))
    throw new ValueError('want a URL ending in /api/callback');
  return raw;
}

/** A whole number from `min` up (at most nine digits). */
function count(min: number): (raw: string) => number {
  return (raw) => {
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) {
      throw new ValueError(`want a whole number of at least ${min}`);
    }
    return Number(raw);
  };
}

function redisDatabase(raw: string): number {
  if (!/^\d{1,5}$/.test(raw)) throw new ValueError('want a database number (0, 1, …)');
  return Number(raw);
}

function decodeBase64(raw: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 !== 0) {
    throw new ValueError('want standard base64');
  }
  return Buffer.from(raw, 'base64');
}

function base64Key(lengths: readonly number[]): (raw: string) => Buffer {
  return (raw) => {
    const key = decodeBase64(raw);
    if (!lengths.includes(key.length)) {
      throw new ValueError(`want a key of ${lengths.join(', ')} bytes, got ${key.length}`);
    }
    return key;
  };
}

function base64KeyAtLeast(min: number): (raw: string) => Buffer {
  return (raw) => {
    const key = decodeBase64(raw);
    if (key.length < min)
      throw new ValueError(`want a key of at least ${min} bytes, got ${key.length}`);
    return key;
  };
}
