// Where the real servers' binaries are: an explicit path from the environment wins, otherwise
// the version-keyed cache that hack/tools/build.sh fills.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Tool =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kubelet'
  | 'kube-scheduler'
  | 'kcp'
  | 'dex'
  | 'helm';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Environment variables that point at prebuilt binaries instead of the cache. */
export const toolEnvOverrides: Readonly<Record<Tool, string>> = {
  etcd: 'KBT_ETCD_BIN',
  'kube-apiserver': 'KBT_KUBE_APISERVER_BIN',
  'kube-controller-manager': 'KBT_KUBE_CONTROLLER_MANAGER_BIN',
  kubelet: 'KBT_KUBELET_BIN',
  'kube-scheduler': 'KBT_KUBE_SCHEDULER_BIN',
  kcp: 'KBT_KCP_BIN',
  dex: 'KBT_DEX_BIN',
  helm: 'KBT_HELM_BIN',
};

export function cacheDir(): string {
  const env = process.env;
  return (
    env['KBT_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kube-bind-ts')
  );
}

/** The pinned versions from hack/tools/versions.env (the one source of truth for them). */
export function pinnedVersions(): Readonly<Record<string, string>> {
  const text = readFileSync(join(repoRoot, 'hack', 'tools', 'versions.env'), 'utf8');
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) versions[m[1]] = m[2];
  }
  return versions;
}

function cachedPath(tool: Tool): string {
  const v = pinnedVersions();
  const [dir, version] = {
    etcd: ['etcd', v['ETCD_VERSION']],
    'kube-apiserver': ['kubernetes', v['KUBERNETES_VERSION']],
    'kube-controller-manager': ['kubernetes', v['KUBERNETES_VERSION']],
    kubelet: ['kubernetes-node', v['KUBERNETES_VERSION']],
    'kube-scheduler': ['kubernetes-node', v['KUBERNETES_VERSION']],
    kcp: ['kcp', v['KCP_VERSION']],
    dex: ['dex', v['DEX_VERSION']],
    helm: ['helm', v['HELM_VERSION']],
  }[tool];
  return join(cacheDir(), 'tools', `${dir}-${version ?? 'unpinned'}`, tool);
}

/**
 * The directory of Gateway API's standard CRDs (YAML), as hack/tools/build.sh copies them from
 * the pinned release; KBT_GATEWAY_API_CRDS points elsewhere.
 */
export function gatewayApiCRDsDir(): string {
  const dir =
    process.env['KBT_GATEWAY_API_CRDS'] ??
    join(
      cacheDir(),
      'tools',
      `gateway-api-${pinnedVersions()['GATEWAY_API_VERSION'] ?? 'unpinned'}`,
    );
  try {
    accessSync(join(dir, 'gateway.networking.k8s.io_gateways.yaml'));
  } catch {
    throw new Error(
      `Gateway API CRDs not found in ${dir}. Fetch them with \`bash hack/tools/build.sh gateway-api\`.`,
    );
  }
  return dir;
}

export class ToolNotFoundError extends Error {
  constructor(tool: Tool, path: string) {
    super(
      `${tool} not found at ${path}. Build it with \`bash hack/tools/build.sh\` ` +
        `or point ${toolEnvOverrides[tool]} at a prebuilt binary.`,
    );
    this.name = 'ToolNotFoundError';
  }
}

export function toolPath(tool: Tool): string {
  const path = process.env[toolEnvOverrides[tool]] ?? cachedPath(tool);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new ToolNotFoundError(tool, path);
  }
  return path;
}
