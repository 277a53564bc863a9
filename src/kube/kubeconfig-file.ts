// A kubeconfig this process trusts, read as client-go reads one: the chosen context, its cluster
// and its user, with the field names of the kubeconfig v1 format. Pure: file paths are returned
// as written (config.ts resolves and reads them) and exec plugins are only described here
// (exec-credential.ts runs them).
//
// Refused rather than ignored, because ignoring them would connect differently from kubectl:
// `proxy-url` (our transport connects directly, and silently bypassing a proxy the user set up
// is worse than saying so), `auth-provider` (removed from kubectl in 1.26; exec replaces it),
// and the impersonation fields `as*` (the transport sends no Impersonate-* headers).
import { parse } from 'yaml';
import { parseExecConfig, type ExecConfig } from './exec-credential.ts';

export interface KubeconfigCluster {
  name: string;
  /** Without trailing slashes. */
  server: string;
  /** PEM, decoded from certificate-authority-data. */
  caPem?: string;
  /** certificate-authority, as written (may be relative to the kubeconfig's directory). */
  caFile?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify: boolean;
  /** The `client.authentication.k8s.io/exec` extension, passed on to exec plugins. */
  execExtension?: unknown;
}

export interface KubeconfigUser {
  /** '' when the context names no user. */
  name: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  certPem?: string;
  certFile?: string;
  keyPem?: string;
  keyFile?: string;
  exec?: ExecConfig;
}

export interface KubeconfigSelection {
  context: string;
  cluster: KubeconfigCluster;
  user: KubeconfigUser;
}

/** The extension name under which a cluster carries per-cluster exec plugin config. */
export const execExtensionName = 'client.authentication.k8s.io/exec';

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `text` and resolves `context` (else current-context) to its cluster and user. */
export function selectKubeconfigContext(text: string, context?: string): KubeconfigSelection {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`kubeconfig is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw new Error('kubeconfig is not a YAML mapping');

  const name = context ?? optString(doc, 'current-context', 'kubeconfig');
  if (!name) {
    throw new Error('kubeconfig has no current-context (and no context was chosen)');
  }
  const ctx = named(doc, 'contexts', 'context', name);
  if (!ctx) throw new Error(`kubeconfig has no context "${name}"`);
  const where = `context "${name}"`;
  const clusterName = optString(ctx, 'cluster', where);
  if (!clusterName) throw new Error(`${where} names no cluster`);
  const cluster = named(doc, 'clusters', 'cluster', clusterName);
  if (!cluster) {
    throw new Error(`context ${name} names cluster ${clusterName} which is not defined`);
  }
  const userName = optString(ctx, 'user', where);
  const user = userName === '' ? {} : named(doc, 'users', 'user', userName);
  if (!user) throw new Error(`context ${name} names user ${userName} which is not defined`);
  return {
    context: name,
    cluster: readCluster(cluster, clusterName),
    user: readUser(user, userName),
  };
}

/** The body (`inner`) of the entry of list `section` called `name`; undefined when absent. */
function named(doc: Doc, section: string, inner: string, name: string): Doc | undefined {
  const list = doc[section] ?? [];
  if (!Array.isArray(list)) throw new Error(`kubeconfig ${section} is not a list`);
  for (const entry of list as unknown[]) {
    if (!isObject(entry) || entry['name'] !== name) continue;
    const body = entry[inner] ?? {};
    if (!isObject(body)) throw new Error(`kubeconfig ${inner} "${name}" is not a mapping`);
    return body;
  }
  return undefined;
}

function readCluster(body: Doc, name: string): KubeconfigCluster {
  const where = `cluster "${name}"`;
  const server = optString(body, 'server', where).replace(/\/+$/, '');
  if (!server) throw new Error(`${where} has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`${where}: server "${server}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${where}: server "${server}" is not an http(s) URL`);
  }
  if (optString(body, 'proxy-url', where)) {
    throw new Error(
      `${where}: proxy-url is not supported (this client connects to the server directly)`,
    );
  }
  const cluster: KubeconfigCluster = {
    name,
    server,
    insecureSkipTlsVerify: optBoolean(body, 'insecure-skip-tls-verify', where),
  };
  const caPem = optBase64(body, 'certificate-authority-data', where);
  const caFile = optString(body, 'certificate-authority', where);
  if (caPem !== undefined && caFile) {
    throw new Error(`${where}: certificate-authority-data and certificate-authority both given`);
  }
  if (cluster.insecureSkipTlsVerify && (caPem !== undefined || caFile)) {
    // client-go refuses this too: the CA would silently not be checked.
    throw new Error(`${where}: a certificate authority together with insecure-skip-tls-verify`);
  }
  if (caPem !== undefined) cluster.caPem = caPem;
  if (caFile) cluster.caFile = caFile;
  const serverName = optString(body, 'tls-server-name', where);
  if (serverName) cluster.tlsServerName = serverName;
  const extension = execExtension(body['extensions']);
  if (extension !== undefined) cluster.execExtension = extension;
  return cluster;
}

function readUser(body: Doc, name: string): KubeconfigUser {
  const where = `user "${name}"`;
  if (body['auth-provider'] !== undefined && body['auth-provider'] !== null) {
    throw new Error(
      `${where}: auth-provider is not supported (kubectl removed the gcp, azure and oidc ` +
        'providers); use an exec credential plugin such as gke-gcloud-auth-plugin, kubelogin ' +
        'or int128/kubelogin instead',
    );
  }
  for (const field of ['as', 'as-uid', 'as-groups', 'as-user-extra']) {
    const v = body[field];
    if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) {
      throw new Error(`${where}: impersonation (${field}) is not supported by this client`);
    }
  }
  const user: KubeconfigUser = { name };
  const token = optString(body, 'token', where);
  const tokenFile = optString(body, 'tokenFile', where);
  const username = optString(body, 'username', where);
  const password = optString(body, 'password', where);
  const hasExec = body['exec'] !== undefined && body['exec'] !== null;
  const methods = [
    ...(token || tokenFile ? ['token'] : []),
    ...(username || password ? ['username/password'] : []),
    ...(hasExec ? ['exec'] : []),
  ];
  if (methods.length > 1) {
    throw new Error(`${where}: more than one way to authenticate (${methods.join(', ')})`);
  }
  // As client-go: an inline token wins over tokenFile.
  if (token) user.token = token;
  else if (tokenFile) user.tokenFile = tokenFile;
  if (password && !username) throw new Error(`${where}: a password without a username`);
  if (username) {
    user.username = username;
    user.password = password;
  }
  if (hasExec) user.exec = parseExecConfig(body['exec'], `${where}: exec`);

  const certPem = optBase64(body, 'client-certificate-data', where);
  const certFile = optString(body, 'client-certificate', where);
  const keyPem = optBase64(body, 'client-key-data', where);
  const keyFile = optString(body, 'client-key', where);
  if (certPem !== undefined && certFile) {
    throw new Error(`${where}: client-certificate-data and client-certificate both given`);
  }
  if (keyPem !== undefined && keyFile) {
    throw new Error(`${where}: client-key-data and client-key both given`);
  }
  const hasCert = certPem !== undefined || certFile !== '';
  const hasKey = keyPem !== undefined || keyFile !== '';
  if (hasCert !== hasKey) {
    throw new Error(`${where}: a client certificate needs its key, and a key its certificate`);
  }
  if (certPem !== undefined) user.certPem = certPem;
  if (certFile) user.certFile = certFile;
  if (keyPem !== undefined) user.keyPem = keyPem;
  if (keyFile) user.keyFile = keyFile;
  return user;
}

/** The `client.authentication.k8s.io/exec` entry of a cluster's `extensions` list. */
function execExtension(list: unknown): unknown {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as unknown[]).find((e) => isObject(e) && e['name'] === execExtensionName);
  return isObject(entry) ? entry['extension'] : undefined;
}

/** A string field, '' when absent. */
function optString(obj: Doc, key: string, where: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${where}: ${key} is not a string`);
  return v;
}

function optBoolean(obj: Doc, key: string, where: string): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new Error(`${where}: ${key} is not true or false`);
  return v;
}

/** A `*-data` field: base64, decoded to text (PEM); undefined when absent or empty. */
function optBase64(obj: Doc, key: string, where: string): string | undefined {
  const v = optString(obj, key, where).replace(/\s+/g, '');
  if (v === '') return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
    throw new Error(`${where}: ${key} is not base64`);
  }
  return Buffer.from(v, 'base64').toString('utf8');
}
