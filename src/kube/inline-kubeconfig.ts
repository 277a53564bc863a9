// A kubeconfig that came from someone else: a consumer's kubeconfig uploaded to the backend
// (apply-binding), a provider's kubeconfig in a consumer Secret (konnector), the kubeconfig in a
// provider's BindingResponse (kubectl bind). Connecting with it must not make this process run a
// program (exec, auth-provider), read one of its own files (token-file, client-key, …), go
// through a proxy, impersonate anyone, or send a password.
//
// So such a kubeconfig is read here by an allow-list, and the ClusterConnection is built from
// what was allowed: the trusted-kubeconfig loader (config.ts) never sees it (it reads files and
// runs exec plugins, as a user's own kubeconfig may ask). Accepted are, per entry:
//
//   cluster: server, certificate-authority-data, tls-server-name, insecure-skip-tls-verify
//   user:    token, client-certificate-data, client-key-data
//   context: cluster, user, namespace
//
// plus the names tying them together (apiVersion, kind, clusters/users/contexts with name,
// current-context) and data no client acts on: `extensions` (minikube and others write them),
// `preferences` and a cluster's `disable-compression`. Every other field, at any level and in
// every entry (not only the current context's: the text is stored and may be read again), is
// refused with its path named. Sizes are bounded so a hostile document costs little to refuse.
import { parse } from 'yaml';
import type { ClusterConnection } from './config.ts';

/** What an inline kubeconfig's current context says, and how to connect with it. */
export interface InlineKubeconfig {
  text: string;
  /** The current context's cluster `server`, without trailing slashes. */
  server: string;
  /** The current context's namespace ('' when unset). */
  namespace: string;
  /** Built from the allowed fields only. */
  connection: ClusterConnection;
}

/** Why a kubeconfig is refused; the message names the field at fault. */
export class KubeconfigRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigRejected';
  }
}

/** Upper bounds; generous for real kubeconfigs (a CA bundle, a long EKS context name). */
export const inlineKubeconfigLimits = {
  /** Characters of the whole text. */
  text: 1024 * 1024,
  /** Entries in each of clusters, users, contexts. */
  entries: 100,
  /** Characters of a name, a namespace, a tls-server-name. */
  name: 1024,
  server: 2048,
  token: 64 * 1024,
  /** Entries of an `extensions` list. */
  extensions: 20,
} as const;

const allowedTop = new Set([
  'apiVersion',
  'kind',
  'clusters',
  'users',
  'contexts',
  'current-context',
  'preferences',
  'extensions',
]);
const allowedCluster = new Set([
  'server',
  'certificate-authority-data',
  'tls-server-name',
  'insecure-skip-tls-verify',
  'disable-compression',
  'extensions',
]);
const allowedUser = new Set(['token', 'client-certificate-data', 'client-key-data', 'extensions']);
const allowedContext = new Set(['cluster', 'user', 'namespace', 'extensions']);
const allowedEntry = {
  clusters: new Set(['name', 'cluster']),
  users: new Set(['name', 'user']),
  contexts: new Set(['name', 'context']),
};

const accepted =
  'a kubeconfig from outside may only use server, certificate-authority-data, tls-server-name, ' +
  'insecure-skip-tls-verify, token, client-certificate-data and client-key-data';

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Cluster {
  server: string;
  caPem?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify: boolean;
}

interface User {
  token?: string;
  certPem?: string;
  keyPem?: string;
}

interface Context {
  cluster: string;
  user: string;
  namespace: string;
}

/** Parses `text` by the allow-list above; throws KubeconfigRejected naming the field at fault. */
export function parseInlineKubeconfig(text: string): InlineKubeconfig {
  if (text.length > inlineKubeconfigLimits.text) {
    throw new KubeconfigRejected(
      `the kubeconfig is too large: ${text.length} characters, at most ${inlineKubeconfigLimits.text}`,
    );
  }
  const doc = parseYaml(text);
  onlyFields(doc, allowedTop, '');
  constant(doc, 'apiVersion', 'v1');
  constant(doc, 'kind', 'Config');
  inertMapping(doc, 'preferences', 'preferences');
  inertList(doc, 'extensions', 'extensions');
  const clusters = entries(doc, 'clusters', 'cluster', allowedCluster, readCluster);
  const users = entries(doc, 'users', 'user', allowedUser, readUser);
  const contexts = entries(doc, 'contexts', 'context', allowedContext, readContext);

  const current = optionalString(doc, 'current-context', 'current-context', 'name');
  if (!current) throw new KubeconfigRejected('it has no current context');
  const context = contexts.get(current);
  if (!context) throw new KubeconfigRejected(`current-context "${current}" is not defined`);
  const cluster = clusters.get(context.cluster);
  if (!cluster) {
    throw new KubeconfigRejected(
      `cluster "${context.cluster}" of context "${current}" is not defined`,
    );
  }
  const user = context.user === '' ? {} : users.get(context.user);
  if (!user) {
    throw new KubeconfigRejected(`user "${context.user}" of context "${current}" is not defined`);
  }
  return {
    text,
    server: cluster.server,
    namespace: context.namespace,
    connection: connectionOf(cluster, user),
  };
}

function parseYaml(text: string): Doc {
  let doc: unknown;
  try {
    // Duplicate keys are an error (uniqueKeys); aliases are capped against billion laughs.
    doc = parse(text, { maxAliasCount: 10, uniqueKeys: true });
  } catch {
    throw new KubeconfigRejected('not a kubeconfig: the YAML does not parse');
  }
  if (!isObject(doc)) throw new KubeconfigRejected('not a kubeconfig: not a YAML mapping');
  return doc;
}

/** Refuses every own key of `obj` that `allowed` does not name. */
function onlyFields(obj: Doc, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) {
      const at = where ? `${where}: ` : '';
      throw new KubeconfigRejected(`${at}"${printable(key)}" is not accepted (${accepted})`);
    }
  }
}

/** A field that, when present, must hold `want` (an empty string counts as absent). */
function constant(doc: Doc, key: string, want: string): void {
  const v = doc[key];
  if (v === undefined || v === null || v === '') return;
  if (v !== want) throw new KubeconfigRejected(`${key} must be "${want}"`);
}

/** A mapping nothing reads; only its type is checked. */
function inertMapping(obj: Doc, key: string, where: string): void {
  const v = obj[key];
  if (v !== undefined && v !== null && !isObject(v)) {
    throw new KubeconfigRejected(`${where} must be a mapping`);
  }
}

/** A list nothing reads (`extensions`); only its type and length are checked. */
function inertList(obj: Doc, key: string, where: string): void {
  const v = obj[key];
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw new KubeconfigRejected(`${where} must be a list`);
  if (v.length > inlineKubeconfigLimits.extensions) {
    throw new KubeconfigRejected(
      `${where} has ${v.length} entries, at most ${inlineKubeconfigLimits.extensions}`,
    );
  }
}

/**
 * The `section` list (clusters, users, contexts) as a map by name; every entry's `inner` body
 * is checked against `allowed` and read by `read`.
 */
function entries<T>(
  doc: Doc,
  section: keyof typeof allowedEntry,
  inner: string,
  allowed: ReadonlySet<string>,
  read: (body: Doc, where: string) => T,
): Map<string, T> {
  const list = doc[section] ?? [];
  if (!Array.isArray(list)) throw new KubeconfigRejected(`${section} must be a list`);
  if (list.length > inlineKubeconfigLimits.entries) {
    throw new KubeconfigRejected(
      `${section} has ${list.length} entries, at most ${inlineKubeconfigLimits.entries}`,
    );
  }
  const out = new Map<string, T>();
  list.forEach((entry: unknown, i) => {
    const where = `${section}[${i}]`;
    if (!isObject(entry)) throw new KubeconfigRejected(`${where} must be a mapping`);
    onlyFields(entry, allowedEntry[section], where);
    const name = optionalString(entry, 'name', `${where}.name`, 'name');
    if (!name) throw new KubeconfigRejected(`${where} has no name`);
    if (out.has(name)) throw new KubeconfigRejected(`${where}: the name "${name}" is used twice`);
    const body = entry[inner] ?? {};
    if (!isObject(body)) throw new KubeconfigRejected(`${where}.${inner} must be a mapping`);
    onlyFields(body, allowed, `${where}.${inner}`);
    inertList(body, 'extensions', `${where}.${inner}.extensions`);
    out.set(name, read(body, `${where}.${inner}`));
  });
  return out;
}

function readCluster(body: Doc, where: string): Cluster {
  const server = optionalString(body, 'server', `${where}.server`, 'server');
  if (!server) throw new KubeconfigRejected(`${where} has no server`);
  const cluster: Cluster = {
    server: checkServer(server, `${where}.server`),
    insecureSkipTlsVerify: optionalBoolean(body, 'insecure-skip-tls-verify', where),
  };
  optionalBoolean(body, 'disable-compression', where);
  const ca = pemData(body, 'certificate-authority-data', where);
  if (ca !== undefined) cluster.caPem = ca;
  const serverName = optionalString(body, 'tls-server-name', `${where}.tls-server-name`, 'name');
  if (serverName) cluster.tlsServerName = serverName;
  return cluster;
}

function readUser(body: Doc, where: string): User {
  const user: User = {};
  const token = optionalString(body, 'token', `${where}.token`, 'token');
  if (token) user.token = token;
  const cert = pemData(body, 'client-certificate-data', where);
  const key = pemData(body, 'client-key-data', where);
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeconfigRejected(
      `${where} needs both client-certificate-data and client-key-data, or neither`,
    );
  }
  if (cert !== undefined) user.certPem = cert;
  if (key !== undefined) user.keyPem = key;
  return user;
}

function readContext(body: Doc, where: string): Context {
  const cluster = optionalString(body, 'cluster', `${where}.cluster`, 'name');
  if (!cluster) throw new KubeconfigRejected(`${where} has no cluster`);
  return {
    cluster,
    user: optionalString(body, 'user', `${where}.user`, 'name'),
    namespace: optionalString(body, 'namespace', `${where}.namespace`, 'name'),
  };
}

/** An https URL without credentials, query or fragment; trailing slashes removed. */
function checkServer(server: string, where: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigRejected(`${where} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new KubeconfigRejected(`${where} must be an https URL`);
  if (url.username || url.password) {
    throw new KubeconfigRejected(`${where} must not carry a user name or password`);
  }
  if (url.search || url.hash) {
    throw new KubeconfigRejected(`${where} must not have a query or fragment`);
  }
  return server.replace(/\/+$/, '');
}

/** A string field ('' when absent), bounded by `limit`. */
function optionalString(
  obj: Doc,
  key: string,
  where: string,
  limit: 'name' | 'server' | 'token',
): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new KubeconfigRejected(`${where} must be a string`);
  const max = inlineKubeconfigLimits[limit];
  if (v.length > max) {
    throw new KubeconfigRejected(`${where} is too long: ${v.length} characters, at most ${max}`);
  }
  return v;
}

function optionalBoolean(obj: Doc, key: string, where: string): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new KubeconfigRejected(`${where}.${key} must be true or false`);
  return v;
}

/** Base64 of PEM (what `*-data` fields hold), decoded; undefined when absent or empty. */
function pemData(obj: Doc, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  const field = `${where}.${key}`;
  if (typeof v !== 'string') throw new KubeconfigRejected(`${field} must be a string`);
  const compact = v.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new KubeconfigRejected(`${field} is not base64`);
  }
  const pem = Buffer.from(compact, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN ')) throw new KubeconfigRejected(`${field} is not base64 of PEM`);
  return pem;
}

function connectionOf(cluster: Cluster, user: User): ClusterConnection {
  const conn: ClusterConnection = { server: cluster.server };
  if (cluster.caPem !== undefined) conn.caPem = cluster.caPem;
  if (cluster.tlsServerName !== undefined) conn.tlsServerName = cluster.tlsServerName;
  if (cluster.insecureSkipTlsVerify) conn.insecureSkipTlsVerify = true;
  if (user.certPem !== undefined) conn.certPem = user.certPem;
  if (user.keyPem !== undefined) conn.keyPem = user.keyPem;
  const token = user.token;
  if (token !== undefined) conn.authorization = () => Promise.resolve(`Bearer ${token}`);
  return conn;
}

/** A field name as it may be shown: at most 100 characters, no control characters. */
function printable(field: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = field.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
