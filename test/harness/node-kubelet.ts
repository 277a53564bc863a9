// kubelet of one test node: talks to the node's own containerd, registers as `system:node:<name>`
// with a client certificate from the cluster's CA (the pods cluster authorizes it with the Node
// authorizer), serves on the node's own loopback IP, and keeps everything it writes (root dir,
// pod logs, plugins) in the node's state directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeCluster } from './kube-cluster.ts';
import { buildKubeconfig } from './kubeconfig.ts';
import { loadCertificateAuthority } from './pki.ts';
import { ManagedProcess } from './process.ts';
import { toolPath } from './tools.ts';

export interface KubeletSpec {
  cluster: Pick<KubeCluster, 'name' | 'server' | 'ca'>;
  name: string;
  ip: string;
  stateDir: string;
  logDir: string;
  containerdSocket: string;
  /** The node's cgroup: kubelet's --cgroup-root, the pods' parent. */
  cgroup: string;
  wrap: (command: string, args: readonly string[]) => { command: string; args: string[] };
}

export async function startKubelet(spec: KubeletSpec): Promise<ManagedProcess> {
  const dir = join(spec.stateDir, 'kubelet');
  const pki = join(spec.stateDir, 'kubelet-pki');
  for (const d of [dir, pki]) mkdirSync(d, { recursive: true });
  const ca = await loadCertificateAuthority(spec.cluster.ca.certPem, spec.cluster.ca.keyPem);
  const client = await ca.issueClient(`system:node:${spec.name}`, ['system:nodes']);
  const serving = await ca.issueServing({ dns: [spec.name], ips: [spec.ip] });
  const file = (name: string, content: string): string => {
    const path = join(pki, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const kubeconfig = file(
    'kubelet.kubeconfig',
    buildKubeconfig({
      name: spec.cluster.name,
      server: spec.cluster.server,
      caPem: spec.cluster.ca.certPem,
      user: `system:node:${spec.name}`,
      ...client,
    }),
  );
  const config = file(
    'kubelet.yaml',
    stringify(
      kubeletConfig(spec, {
        caFile: file('ca.crt', spec.cluster.ca.certPem),
        certFile: file('kubelet.crt', serving.certPem),
        keyFile: file('kubelet.key', serving.keyPem),
      }),
    ),
  );
  const { command, args } = spec.wrap(toolPath('kubelet'), [
    `--config=${config}`,
    `--kubeconfig=${kubeconfig}`,
    `--root-dir=${dir}`,
    `--cert-dir=${pki}`,
    `--hostname-override=${spec.name}`,
    `--node-ip=${spec.ip}`,
    '--v=1',
  ]);
  return new ManagedProcess({ name: `${spec.name}-kubelet`, command, args, logDir: spec.logDir });
}

function kubeletConfig(
  spec: KubeletSpec,
  tls: { caFile: string; certFile: string; keyFile: string },
): Record<string, unknown> {
  const tiny = '1Mi';
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // These machines run cgroup v1, which kubelet 1.35 refuses unless told otherwise.
    failCgroupV1: false,
    failSwapOn: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${spec.cgroup}`,
    containerRuntimeEndpoint: `unix://${spec.containerdSocket}`,
    address: spec.ip,
    healthzBindAddress: spec.ip,
    readOnlyPort: 0,
    tlsCertFile: tls.certFile,
    tlsPrivateKeyFile: tls.keyFile,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: tls.caFile },
    },
    // Only the cluster's CA can reach it at all (the apiserver for logs and exec).
    authorization: { mode: 'AlwaysAllow' },
    podLogsDir: join(spec.stateDir, 'pod-logs'),
    volumePluginDir: join(spec.stateDir, 'volume-plugins'),
    // A shared CI disk may be fuller than kubelet's defaults allow: never evict test pods for
    // it, nor garbage-collect the imported images (nothing could pull them back).
    evictionHard: { 'memory.available': tiny, 'nodefs.available': tiny, 'imagefs.available': tiny },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    // No static pods: do not poll a manifest directory.
    staticPodPath: '',
  };
}
