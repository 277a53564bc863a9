// The konnector's options: upstream's flags (`--kubeconfig`, `--lease-name`, `--lease-namespace`,
// `--server-address`, `--provider-polling-interval`, the logging flags) plus a few of ours
// (`--context`, `--leader-elect`, `--heartbeat-interval`, `--sync-workers`). Every invalid value
// is reported at start, all at once.
import { parseFlags } from '../../cli/flags.ts';
import type { FlagSpec } from '../../cli/flags.ts';
import { loggingFlags, readLogging } from '../../cli/logging.ts';
import type { LoggingOptions } from '../../cli/logging.ts';
import { FlagReader } from '../../cli/reader.ts';
import { ValueError, duration } from '../../cli/values.ts';

export interface KonnectorOptions {
  /** A kubeconfig for the consumer cluster; in-cluster config when absent. */
  kubeconfig?: string;
  context?: string;
  leaderElection: { enabled: boolean; namespace: string; leaseName: string };
  /** `host:port` of /healthz, /readyz and /metrics. */
  serverAddress: { host: string; port: number };
  /** How often bundles look for new or removed exports. */
  providerPollingIntervalMs: number;
  heartbeatIntervalMs: number;
  /** Workers of each spec and status syncer. */
  syncWorkers: number;
  logging: LoggingOptions;
}

export const konnectorFlags: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    kind: 'string',
    help: 'kubeconfig of the consumer cluster (default: in-cluster)',
  },
  { name: 'context', kind: 'string', help: 'kubeconfig context (default: the current context)' },
  {
    name: 'lease-name',
    kind: 'string',
    help: 'name of the leader-election Lease',
    defaultText: 'kube-bind',
  },
  {
    name: 'lease-namespace',
    kind: 'string',
    help: 'namespace of the leader-election Lease (default: $POD_NAMESPACE, else kube-system)',
  },
  {
    name: 'leader-elect',
    kind: 'bool',
    help: 'run controllers only while holding the Lease',
    defaultText: 'true',
  },
  {
    name: 'server-address',
    kind: 'string',
    help: 'address of /healthz, /readyz and /metrics',
    defaultText: ':8090',
  },
  {
    name: 'provider-polling-interval',
    kind: 'string',
    help: 'how often APIServiceBindingBundles look for new or removed exports',
    defaultText: '15s',
  },
  {
    name: 'heartbeat-interval',
    kind: 'string',
    help: 'the ClusterBinding heartbeat interval reported to the provider',
    defaultText: '5m',
  },
  {
    name: 'sync-workers',
    kind: 'string',
    help: 'workers per spec and status syncer',
    defaultText: '8',
  },
  ...loggingFlags,
];

export function loadKonnectorOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): KonnectorOptions {
  const r = new FlagReader(parseFlags(argv, konnectorFlags));
  const kubeconfig = r.raw('kubeconfig') || env['KUBECONFIG'] || undefined;
  const context = r.raw('context') || undefined;
  const options: KonnectorOptions = {
    ...(kubeconfig && { kubeconfig }),
    ...(context && { context }),
    leaderElection: {
      enabled: r.bool('leader-elect', true),
      namespace: r.raw('lease-namespace') || env['POD_NAMESPACE'] || 'kube-system',
      leaseName: r.value('lease-name', 'kube-bind', dnsName),
    },
    serverAddress: r.value('server-address', ':8090', hostPort),
    providerPollingIntervalMs: r.value('provider-polling-interval', '15s', duration(1_000, '1s')),
    heartbeatIntervalMs: r.value('heartbeat-interval', '5m', duration(1_000, '1s')),
    syncWorkers: r.value('sync-workers', '8', count),
    logging: readLogging(r),
  };
  r.throwIfInvalid();
  return options;
}

function dnsName(raw: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(raw)) {
    throw new ValueError('want a DNS subdomain name');
  }
  return raw;
}

function hostPort(raw: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new ValueError('want host:port, e.g. :8090 or 127.0.0.1:8090');
  // `[::1]:8090` as Go writes it; Node listens on the bare address.
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host || '0.0.0.0', port };
}

function count(raw: string): number {
  if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1)
    throw new ValueError('want a number from 1 to 999');
  return Number(raw);
}
