// The backend's flag table: upstream's names and defaults (docs/protocol.md §9), the spelling of
// upstream's developer docs as an alias, and our leader election flags. The defaults are kept as
// flag text, so --help shows exactly what an operator would type.
import type { FlagSpec } from '../../cli/flags.ts';

export const defaults = {
  installCRDs: true,
  provider: 'kubernetes',
  apiExportEndpointSliceName: 'kube-bind.io',
  apiBindingIgnorePrefixes: 'kube-bind.io,tenancy.kcp.io,topology.kcp.io',
  namespacePrefix: 'cluster-',
  prettyName: 'Backend',
  consumerScope: 'Namespaced',
  isolation: 'Prefixed',
  schemaSource: 'CustomResourceDefinition.v1.apiextensions.k8s.io',
  schemaSyncInterval: '5m',
  frontendDisabled: false,
  leaderElect: true,
  leaderElectionNamespace: 'kube-system',
  leaderElectionID: 'kube-bind-backend',
  leaseDuration: '15s',
  renewDeadline: '10s',
  retryPeriod: '2s',
} as const;

function flag(kind: FlagSpec['kind'], name: string, help: string, defaultText?: string): FlagSpec {
  return defaultText === undefined ? { name, kind, help } : { name, kind, help, defaultText };
}

export const backendFlags: readonly FlagSpec[] = [
  flag('string', 'kubeconfig', 'kubeconfig of the provider cluster'),
  flag('string', 'context', 'context in the kubeconfig'),
  flag(
    'bool',
    'install-crds',
    'apply the kube-bind.io CRDs at start and wait until they are Established',
    String(defaults.installCRDs),
  ),
  flag(
    'string',
    'multicluster-runtime-provider',
    'kubernetes (one cluster) or kcp',
    defaults.provider,
  ),
  flag(
    'string',
    'apiexport-endpoint-slice-name',
    'kcp: the APIExportEndpointSlice to watch',
    defaults.apiExportEndpointSliceName,
  ),
  flag('string', 'apiexport-endpointslice-name', 'alias of --apiexport-endpoint-slice-name'),
  flag(
    'list',
    'apibinding-ignore-prefixes',
    'kcp: APIBinding name prefixes left out of generated templates',
    defaults.apiBindingIgnorePrefixes,
  ),
  flag('string', 'namespace-prefix', 'prefix of the contract namespaces', defaults.namespacePrefix),
  flag('string', 'pretty-name', 'the provider name shown to consumers', defaults.prettyName),
  flag(
    'string',
    'consumer-scope',
    'informer scope of consumers: Namespaced or Cluster',
    defaults.consumerScope,
  ),
  flag(
    'string',
    'isolation',
    'isolation of cluster-scoped objects: Prefixed, Namespaced or None',
    defaults.isolation,
  ),
  flag('string', 'cluster-scoped-isolation', 'deprecated alias of --isolation'),
  flag('string', 'external-address', 'https:// server URL put into issued kubeconfigs'),
  flag('string', 'external-ca-file', 'PEM CA bundle put into issued kubeconfigs'),
  flag('string', 'external-server-name', 'tls-server-name put into issued kubeconfigs'),
  flag(
    'string',
    'schema-source',
    'Kind.version.group of the exported schema objects',
    defaults.schemaSource,
  ),
  flag(
    'string',
    'schema-sync-interval',
    're-sync interval of schemas with policy Always (at least 10s)',
    defaults.schemaSyncInterval,
  ),
  flag(
    'bool',
    'frontend-disabled',
    'serve no OIDC login or HTTP API, only /healthz',
    String(defaults.frontendDisabled),
  ),
  flag(
    'bool',
    'leader-elect',
    'run the controllers only in the replica holding the Lease',
    String(defaults.leaderElect),
  ),
  flag(
    'string',
    'leader-election-namespace',
    'namespace of the leader election Lease',
    defaults.leaderElectionNamespace,
  ),
  flag(
    'string',
    'leader-election-id',
    'name of the leader election Lease',
    defaults.leaderElectionID,
  ),
  flag(
    'string',
    'leader-election-lease-duration',
    'how long a Lease holds without renewal',
    defaults.leaseDuration,
  ),
  flag(
    'string',
    'leader-election-renew-deadline',
    'how long the leader tries to renew before it gives up',
    defaults.renewDeadline,
  ),
  flag(
    'string',
    'leader-election-retry-period',
    'wait between tries to acquire or renew the Lease',
    defaults.retryPeriod,
  ),
];
