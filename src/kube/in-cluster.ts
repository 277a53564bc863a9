// The configuration of a process in a pod, as client-go's InClusterConfig reads it: the API
// server from KUBERNETES_SERVICE_HOST/PORT (always https), the mounted CA, and the mounted
// service-account token, which the kubelet rotates (FileToken re-reads it).
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { FileToken } from './token-file.ts';

/** Where the kubelet mounts the service account's token, CA and namespace. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterConfig {
  server: string;
  caPem: string;
  token: FileToken;
}

/**
 * Reads the in-cluster configuration. `pathPrefix` is prepended to serviceAccountDir as a
 * string (as client-node's loadFromCluster did), so tests pass a temp directory without a
 * trailing slash.
 */
export async function inClusterConfig(
  env: NodeJS.ProcessEnv,
  pathPrefix = '',
): Promise<InClusterConfig> {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set');
  }
  const dir = `${pathPrefix}${serviceAccountDir}`;
  let caPem: string;
  try {
    caPem = await readFile(`${dir}/ca.crt`, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the in-cluster CA: ${(err as Error).message}`, { cause: err });
  }
  const token = new FileToken(`${dir}/token`);
  // Read now, so a pod without a mounted token fails at start rather than at its first request.
  await token.get();
  return { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caPem, token };
}
