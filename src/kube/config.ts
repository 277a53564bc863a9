// How to reach one cluster: server URL, TLS material and credentials, from a kubeconfig this
// process trusts or from the pod's in-cluster configuration. Reading the kubeconfig is
// kubeconfig-file.ts, exec plugins exec-credential.ts, rotating token files token-file.ts; the
// transport is client.ts. (We used @kubernetes/client-node's KubeConfig here until it turned out
// to cost every process ~50 MiB and ~0.3 s at start for this one class.)
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ExecCredentialSource, type ExecClusterInfo } from './exec-credential.ts';
import { inClusterConfig } from './in-cluster.ts';
import {
  selectKubeconfigContext,
  type KubeconfigCluster,
  type KubeconfigSelection,
} from './kubeconfig-file.ts';
import { FileToken } from './token-file.ts';

export interface ClusterConnection {
  /** Base URL, e.g. `https://127.0.0.1:6443` or a kcp workspace URL `https://…/clusters/root`. */
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  /** Produces the Authorization header for each request (tokens may rotate). */
  authorization?: () => Promise<string | undefined>;
}

export interface KubeconfigSource {
  /** Kubeconfig text (YAML). */
  text?: string;
  /** Path of a kubeconfig file. */
  file?: string;
  /** Use this context instead of current-context. */
  context?: string;
}

/**
 * The connection of a kubeconfig this process trusts (its own --kubeconfig, the user's own
 * kubeconfig in the plugin): it may read files and run exec plugins. A kubeconfig from anyone
 * else goes through parseInlineKubeconfig (inline-kubeconfig.ts) instead.
 *
 * Relative file paths in it (certificate-authority, client-certificate, client-key, tokenFile,
 * an exec command with a slash) resolve against the file's directory, as in kubectl; for `text`,
 * against the working directory. An exec plugin runs once here; a client certificate it returns
 * is used for the connection's lifetime (the pool's TLS material is fixed), tokens are fetched
 * again when they expire.
 */
export async function connectionFromKubeconfig(
  source: KubeconfigSource,
): Promise<ClusterConnection> {
  let text: string;
  let dir: string | undefined;
  if (source.text !== undefined) {
    text = source.text;
  } else if (source.file !== undefined) {
    text = await readFile(source.file, 'utf8').catch((err: unknown) => {
      throw new Error(`cannot read the kubeconfig: ${(err as Error).message}`);
    });
    dir = dirname(resolve(source.file));
  } else {
    throw new Error('connectionFromKubeconfig: neither text nor file given');
  }
  return connectionOf(selectKubeconfigContext(text, source.context), dir);
}

/**
 * The connection a controller process was told to use: a kubeconfig file (and context) when
 * given, else the pod's in-cluster configuration.
 */
export async function connectionFromFlags(flags: {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}): Promise<ClusterConnection> {
  if (!flags.kubeconfig) return connectionInCluster();
  return connectionFromKubeconfig({
    file: flags.kubeconfig,
    ...(flags.context && { context: flags.context }),
  });
}

export interface InClusterSource {
  /** Prefix of `/var/run/secrets/kubernetes.io/serviceaccount` (tests point it elsewhere). */
  pathPrefix?: string;
}

/**
 * The connection of a pod: KUBERNETES_SERVICE_HOST/PORT, the mounted CA, and the mounted
 * service-account token, re-read as the kubelet rotates it.
 */
export async function connectionInCluster(
  source: InClusterSource = {},
): Promise<ClusterConnection> {
  const { server, caPem, token } = await inClusterConfig(process.env, source.pathPrefix);
  return { server, caPem, authorization: async () => `Bearer ${await token.get()}` };
}

async function connectionOf(
  { cluster, user }: KubeconfigSelection,
  dir: string | undefined,
): Promise<ClusterConnection> {
  const path = (p: string) => resolve(dir ?? process.cwd(), p);
  const read = (p: string, what: string) =>
    readFile(path(p), 'utf8').catch((err: unknown) => {
      throw new Error(`cannot read ${what}: ${(err as Error).message}`, { cause: err });
    });
  const conn: ClusterConnection = { server: cluster.server };
  const caPem =
    cluster.caPem ??
    (cluster.caFile && (await read(cluster.caFile, `cluster "${cluster.name}" CA`)));
  if (caPem) conn.caPem = caPem;
  if (cluster.tlsServerName !== undefined) conn.tlsServerName = cluster.tlsServerName;
  if (cluster.insecureSkipTlsVerify) conn.insecureSkipTlsVerify = true;

  const who = `user "${user.name}"`;
  const certPem = user.certPem ?? (user.certFile && (await read(user.certFile, `${who} cert`)));
  const keyPem = user.keyPem ?? (user.keyFile && (await read(user.keyFile, `${who} key`)));
  if (certPem && keyPem) {
    conn.certPem = certPem;
    conn.keyPem = keyPem;
  }

  if (user.token !== undefined) {
    const header = `Bearer ${user.token}`;
    conn.authorization = () => Promise.resolve(header);
  } else if (user.tokenFile !== undefined) {
    const token = new FileToken(path(user.tokenFile));
    await token.get();
    conn.authorization = async () => `Bearer ${await token.get()}`;
  } else if (user.username !== undefined) {
    const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
    conn.authorization = () => Promise.resolve(`Basic ${basic}`);
  } else if (user.exec !== undefined) {
    const plugin = new ExecCredentialSource(user.exec, {
      cluster: execClusterInfo(cluster, caPem || undefined),
      ...(dir !== undefined && { dir }),
    });
    const first = await plugin.get();
    if (first.certPem !== undefined && first.keyPem !== undefined && conn.certPem === undefined) {
      conn.certPem = first.certPem;
      conn.keyPem = first.keyPem;
    }
    if (first.token !== undefined) {
      conn.authorization = async () => {
        const token = (await plugin.get()).token;
        return token === undefined ? undefined : `Bearer ${token}`;
      };
    }
  }
  return conn;
}

/** The cluster as an exec plugin with provideClusterInfo sees it. */
function execClusterInfo(cluster: KubeconfigCluster, caPem: string | undefined): ExecClusterInfo {
  return {
    server: cluster.server,
    ...(cluster.tlsServerName !== undefined && { 'tls-server-name': cluster.tlsServerName }),
    ...(cluster.insecureSkipTlsVerify && { 'insecure-skip-tls-verify': true }),
    ...(caPem !== undefined && {
      'certificate-authority-data': Buffer.from(caPem).toString('base64'),
    }),
    ...(cluster.execExtension !== undefined && { config: cluster.execExtension }),
  };
}
