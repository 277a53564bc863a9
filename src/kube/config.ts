// How to reach one cluster: server URL, TLS material and credentials. Kubeconfig parsing (contexts,
// exec plugins, token files, in-cluster config) is client-node's; the transport is ours (client.ts).
import { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';

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
 * kubeconfig in the plugin): client-node may read files and run exec plugins for it. A kubeconfig
 * from anyone else goes through parseInlineKubeconfig (inline-kubeconfig.ts) instead.
 */
export async function connectionFromKubeconfig(
  source: KubeconfigSource,
): Promise<ClusterConnection> {
  const kc = new KubeConfig();
  if (source.text !== undefined) kc.loadFromString(source.text);
  else if (source.file !== undefined) kc.loadFromFile(source.file);
  else throw new Error('connectionFromKubeconfig: neither text nor file given');
  if (source.context !== undefined) kc.setCurrentContext(source.context);
  return connectionFrom(kc);
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
  if (!process.env['KUBERNETES_SERVICE_HOST'] || !process.env['KUBERNETES_SERVICE_PORT']) {
    throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set');
  }
  const kc = new KubeConfig();
  kc.loadFromCluster(source.pathPrefix ?? '');
  return connectionFrom(kc);
}

async function connectionFrom(kc: KubeConfig): Promise<ClusterConnection> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig context "${kc.getCurrentContext()}" has no cluster`);
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  // client-node hands TLS material over as Buffers or strings (PEM either way).
  const pem = (v: unknown): string | undefined =>
    Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : undefined;
  const conn: ClusterConnection = {
    server: cluster.server.replace(/\/+$/, ''),
    authorization: async () => {
      const headers: RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(headers);
      const auth = (headers.headers as Record<string, unknown> | undefined)?.['Authorization'];
      return typeof auth === 'string' ? auth : undefined;
    },
  };
  const ca = pem(opts.ca);
  const cert = pem(opts.cert);
  const key = pem(opts.key);
  if (ca !== undefined) conn.caPem = ca;
  if (cert !== undefined) conn.certPem = cert;
  if (key !== undefined) conn.keyPem = key;
  if (cluster.tlsServerName) conn.tlsServerName = cluster.tlsServerName;
  if (cluster.skipTLSVerify) conn.insecureSkipTlsVerify = true;
  return conn;
}
