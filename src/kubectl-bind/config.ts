// The stored logins, `~/.kube-bind/config` (docs/protocol.md §6.1 step 7): JSON, mode 0600, the
// same file upstream's plugin reads and writes, so either plugin can use the other's logins.
//
//   {"apiVersion":"v1","kind":"Config",
//    "servers":{"<key>":{"url":"http://host:8080","cluster":"X","accessToken":"…",
//                        "tokenType":"Bearer","expiresAt":"<RFC 3339>"}},
//    "current":"<key>"}
//
// A server's key is its URL (`scheme://host[:port]`), or `<cluster>@<url>` for a provider cluster.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatTime } from '../kube/time.ts';
import { CommandError, UsageError } from './errors.ts';

export interface ServerEntry {
  url: string;
  cluster?: string;
  accessToken: string;
  tokenType: string;
  /** RFC 3339. */
  expiresAt: string;
}

export interface BindConfig {
  apiVersion: string;
  kind: string;
  servers: Record<string, ServerEntry>;
  current?: string;
}

/** A token is used only while it has this much life left (as upstream). */
export const tokenSafetyMarginMs = 5 * 60_000;

export function emptyConfig(): BindConfig {
  return { apiVersion: 'v1', kind: 'Config', servers: {} };
}

export function serverKey(url: string, cluster?: string): string {
  return cluster ? `${cluster}@${url}` : url;
}

/** Reads the file; a missing file is an empty config. Fields this CLI does not know are kept. */
export async function readConfig(path: string): Promise<BindConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new CommandError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return emptyConfig();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CommandError(`cannot read ${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CommandError(`cannot read ${path}: not a kube-bind config (want a JSON object)`);
  }
  const config = doc as Partial<BindConfig>;
  const servers: unknown = config.servers;
  return {
    ...config,
    apiVersion: config.apiVersion ?? 'v1',
    kind: config.kind ?? 'Config',
    servers:
      typeof servers === 'object' && servers !== null
        ? (servers as Record<string, ServerEntry>)
        : {},
  };
}

/** Writes the file with mode 0600 (its directory 0700), replacing it atomically. */
export async function writeConfig(path: string, config: BindConfig): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new CommandError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

/** Adds (or replaces) a login and makes it the current server; returns its key. */
export function storeLogin(
  config: BindConfig,
  login: { url: string; cluster?: string; accessToken: string; tokenType: string },
  expiresAtMs: number,
): string {
  const key = serverKey(login.url, login.cluster);
  config.servers[key] = {
    url: login.url,
    ...(login.cluster && { cluster: login.cluster }),
    accessToken: login.accessToken,
    tokenType: login.tokenType,
    expiresAt: formatTime(expiresAtMs),
  };
  config.current = key;
  return key;
}

/**
 * The login to use: `--server` (a key, or a URL / `<url>@<cluster>` naming one), else the
 * current server. Fails with what to do when there is none.
 */
export function selectServer(
  config: BindConfig,
  name: string | undefined,
): { key: string; entry: ServerEntry } {
  let key = name ?? config.current ?? '';
  if (key === '') {
    throw new CommandError('not logged in to any provider: run "kubectl bind login <url>" first');
  }
  if (!(key in config.servers) && name !== undefined) {
    try {
      const ref = parseServerArgument(name);
      key = serverKey(ref.origin, ref.cluster);
    } catch {
      // Not a URL either: reported below as an unknown server.
    }
  }
  const entry = config.servers[key];
  if (!entry) {
    const known = Object.keys(config.servers);
    const hint = known.length > 0 ? ` (stored: ${known.join(', ')})` : '';
    throw new CommandError(
      `no stored login for "${name ?? key}"${hint}: run "kubectl bind login ${name ?? key}" first`,
    );
  }
  return { key, entry };
}

/** Why the stored token cannot be used (missing, expired or about to), or undefined if it can. */
export function tokenProblem(key: string, entry: ServerEntry, nowMs: number): string | undefined {
  const relogin = `run "kubectl bind login ${key}" again`;
  if (!entry.accessToken) return `the stored login for ${key} has no token: ${relogin}`;
  const expiresAt = Date.parse(entry.expiresAt);
  if (Number.isNaN(expiresAt)) {
    return `the stored login for ${key} has an unreadable expiry "${entry.expiresAt}": ${relogin}`;
  }
  if (expiresAt - tokenSafetyMarginMs <= nowMs) {
    const when = expiresAt <= nowMs ? 'has expired' : 'expires in less than 5 minutes';
    return `the login to ${key} ${when} (${formatTime(expiresAt)}): ${relogin}`;
  }
  return undefined;
}

export interface ServerRef {
  /** What was typed, without a trailing `/` and without the cluster. */
  url: URL;
  /** `scheme://host[:port]`: what is stored; the backend serves at its origin's root. */
  origin: string;
  cluster?: string;
}

/**
 * A provider as typed on the command line: `<url>`, `<url>@<cluster>` or `<cluster>@<url>` (the
 * form of the config keys). `cluster`, from --cluster, must agree with a cluster in the text.
 */
export function parseServerArgument(text: string, cluster?: string): ServerRef {
  let urlText = text.trim().replace(/\/+$/, '');
  let named: string | undefined;
  const at = urlText.indexOf('@');
  if (at !== -1) {
    const left = urlText.slice(0, at);
    const right = urlText.slice(at + 1);
    [urlText, named] = /^https?:\/\//i.test(right) ? [right, left] : [left, right];
    urlText = urlText.replace(/\/+$/, '');
    if (!/^[^\s/@?#]+$/.test(named)) {
      throw new UsageError(`invalid cluster "${named}" in "${text}"`);
    }
  }
  if (named !== undefined && cluster !== undefined && named !== cluster) {
    throw new UsageError(`"${text}" names cluster "${named}" but --cluster says "${cluster}"`);
  }
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(`invalid URL "${urlText}": want e.g. https://provider.example.com`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`invalid URL "${urlText}": want an http:// or https:// address`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`invalid URL "${urlText}": user names and passwords are not supported`);
  }
  const chosen = cluster ?? named;
  return { url, origin: url.origin, ...(chosen !== undefined && { cluster: chosen }) };
}
