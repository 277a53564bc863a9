// The backend's options: one typed object built from upstream's flags (docs/protocol.md §9,
// controllers.md §2), plus leader election, which upstream lacks (differences.md item 4). Unlike
// upstream, every invalid value stops the start (differences.md item 8), and all of them are
// reported together so an operator fixes the deployment in one go.
import { readFile as readFileFromDisk } from 'node:fs/promises';
import { backendFlags as controllerFlags, defaults } from './backend-flags.ts';
import { parseFlags } from '../../cli/flags.ts';
import { frontDoorFlags } from './frontdoor-flags.ts';
import { loggingFlags, readLogging, type LoggingOptions } from '../../cli/logging.ts';
import {
  readLogin,
  readServer,
  type Environment,
  type LoginOptions,
  type ServerOptions,
} from './frontdoor.ts';
import { FlagReader } from '../../cli/reader.ts';
import * as value from './values.ts';

export type { ConsumerScope, Isolation, Provider, SchemaSource } from './values.ts';
export type {
  Environment,
  HostAlias,
  LoginOptions,
  OidcOptions,
  ServerOptions,
  SessionStoreOptions,
} from './frontdoor.ts';

/** Every flag of bin/backend: the controllers' and the front door's. */
export const backendFlags = [...controllerFlags, ...frontDoorFlags, ...loggingFlags];

export interface LeaderElectionOptions {
  /** Off: this replica runs the controllers unconditionally (one replica only!). */
  enabled: boolean;
  /** Namespace and name of the coordination.k8s.io Lease. */
  namespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /**
   * Names this replica in the Lease (suffixed with a random id): POD_NAME from the downward API
   * when set, since a pod on the host network has the node's host name, not its own.
   */
  holderName?: string;
}

export interface BackendOptions {
  /** Path of a kubeconfig for the provider cluster; in-cluster config when absent. */
  kubeconfig?: string;
  /** The kubeconfig context; its current context when absent. */
  context?: string;
  /**
   * Apply the kube-bind.io CRDs at start with server-side apply and wait until they are
   * Established. Turn off where the CRDs are managed elsewhere (Helm, GitOps); the backend then
   * only checks they are there.
   */
  installCRDs: boolean;
  /** `kubernetes`: one provider cluster; `kcp`: the workspaces behind an APIExport. */
  provider: value.Provider;
  /** kcp: the APIExportEndpointSlice that lists the virtual workspace URLs. */
  apiExportEndpointSliceName: string;
  /** kcp: APIBindings whose names start with one of these are left out of generated templates. */
  apiBindingIgnorePrefixes: string[];
  /** Prefix of the contract namespaces, followed directly by the consumer's identity hash. */
  namespacePrefix: string;
  /** The provider's display name (ClusterBinding spec.providerPrettyName). */
  prettyName: string;
  /** The informer scope stamped on exports and bound schemas. */
  consumerScope: value.ConsumerScope;
  /** How the objects of cluster-scoped resources of different consumers are kept apart. */
  isolation: value.Isolation;
  /** Server URL in issued kubeconfigs; the backend's own rest-config host when absent. */
  externalAddress?: string;
  /** CA bundle file for issued kubeconfigs; the backend's own rest-config CA when absent. */
  externalCAFile?: string;
  /** The content of externalCAFile, read and checked by loadBackendOptions. */
  externalCA?: string;
  /** `tls-server-name` in issued kubeconfigs. */
  externalServerName?: string;
  /** The kind of object the exported schemas are read from. */
  schemaSource: value.SchemaSource;
  /** How often requests with SchemaUpdatePolicy Always re-read their schemas. */
  schemaSyncIntervalMs: number;
  /** No OIDC and HTTP API (only /healthz); bindings come from BindableResourcesRequests. */
  frontendDisabled: boolean;
  leaderElection: LeaderElectionOptions;
  /** The HTTP(S) listener (with --frontend-disabled it serves /healthz, /readyz, /metrics only). */
  server: ServerOptions;
  /** OIDC login and sessions; absent with --frontend-disabled. */
  login?: LoginOptions;
  logging: LoggingOptions;
}

/**
 * The smallest complete configuration: upstream's defaults with the embedded development issuer
 * (the OIDC flags have no defaults upstream). Tests and the dev environment start from it.
 */
export const developmentLoginFlags = [
  '--oidc-type=embedded',
  '--oidc-issuer-url=http://127.0.0.1:8080/oidc',
  '--oidc-callback-url=http://127.0.0.1:8080/api/callback',
] as const;

export function defaultOptions(): BackendOptions {
  return parseBackendOptions(developmentLoginFlags);
}

/** Parses argv (without node and script) into options; throws FlagError on bad input. */
export function parseBackendOptions(
  argv: readonly string[],
  env: Environment = {},
): BackendOptions {
  const reader = new FlagReader(parseFlags(argv, backendFlags));
  const options = readOptions(reader, env);
  reader.throwIfInvalid();
  return options;
}

export interface LoadDependencies {
  readFile(path: string): Promise<string>;
  env: Environment;
}

const fromProcess: LoadDependencies = {
  readFile: (path) => readFileFromDisk(path, 'utf8'),
  env: process.env,
};

/**
 * parseBackendOptions, plus reading and checking the files the flags name (CA bundles, the TLS
 * pair) and the environment (OIDC_CLIENT_SECRET, REDIS_PASSWORD).
 */
export async function loadBackendOptions(
  argv: readonly string[],
  deps: LoadDependencies = fromProcess,
): Promise<BackendOptions> {
  const reader = new FlagReader(parseFlags(argv, backendFlags));
  const options = readOptions(reader, deps.env);
  // Read even when other flags are wrong, so a missing file is reported along with them.
  const read = (flag: string, path: string, check: (content: string) => string) =>
    readChecked(flag, path, deps, reader, check);
  if (options.externalCAFile !== undefined) {
    const ca = await read('external-ca-file', options.externalCAFile, value.caBundle);
    if (ca !== undefined) options.externalCA = ca;
  }
  const { tls } = options.server;
  if (tls) {
    const cert = await read('tls-cert-file', tls.certFile, value.caBundle);
    const key = await read('tls-key-file', tls.keyFile, value.privateKey);
    if (cert !== undefined) tls.certPem = cert;
    if (key !== undefined) tls.keyPem = key;
  }
  const oidc = options.login?.oidc;
  if (oidc?.caFile !== undefined) {
    const ca = await read('oidc-ca-file', oidc.caFile, value.caBundle);
    if (ca !== undefined) oidc.caPem = ca;
  }
  const sessions = options.login?.sessions;
  if (sessions?.kind === 'redis' && sessions.caFile !== undefined) {
    const ca = await read('redis-ca-file', sessions.caFile, value.caBundle);
    if (ca !== undefined) sessions.caPem = ca;
  }
  reader.throwIfInvalid();
  return options;
}

async function readChecked(
  flag: string,
  path: string,
  deps: LoadDependencies,
  reader: FlagReader,
  check: (content: string) => string,
): Promise<string | undefined> {
  let content: string;
  try {
    content = await deps.readFile(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    reader.fail(flag, path, `cannot read it (${why})`);
    return undefined;
  }
  return reader.check(flag, path, () => check(content));
}

function readOptions(r: FlagReader, env: Environment): BackendOptions {
  const options: BackendOptions = {
    installCRDs: r.bool('install-crds', defaults.installCRDs),
    provider: r.value('multicluster-runtime-provider', defaults.provider, value.provider),
    apiExportEndpointSliceName: r.aliased(
      ['apiexport-endpoint-slice-name', 'apiexport-endpointslice-name'],
      defaults.apiExportEndpointSliceName,
      value.nonEmpty,
    ),
    apiBindingIgnorePrefixes: r.list(
      'apibinding-ignore-prefixes',
      defaults.apiBindingIgnorePrefixes.split(','),
    ),
    namespacePrefix: r.value('namespace-prefix', defaults.namespacePrefix, value.namespacePrefix),
    prettyName: r.value('pretty-name', defaults.prettyName, value.nonEmpty),
    consumerScope: r.value('consumer-scope', defaults.consumerScope, value.consumerScope),
    isolation: r.aliased(
      ['isolation', 'cluster-scoped-isolation'],
      defaults.isolation,
      value.isolation,
    ),
    schemaSource: r.value('schema-source', defaults.schemaSource, value.schemaSource),
    schemaSyncIntervalMs: r.value(
      'schema-sync-interval',
      defaults.schemaSyncInterval,
      value.duration(10_000, '10s'),
    ),
    frontendDisabled: r.bool('frontend-disabled', defaults.frontendDisabled),
    leaderElection: readLeaderElection(r, env),
    server: readServer(r),
    logging: readLogging(r),
  };
  if (!options.frontendDisabled) options.login = readLogin(r, env, options.server);
  setOptional(options, 'kubeconfig', r.optional('kubeconfig', value.nonEmpty));
  setOptional(options, 'context', r.optional('context', value.nonEmpty));
  setOptional(options, 'externalAddress', r.optional('external-address', value.externalAddress));
  setOptional(options, 'externalCAFile', r.optional('external-ca-file', value.nonEmpty));
  setOptional(options, 'externalServerName', r.optional('external-server-name', value.nonEmpty));
  return options;
}

type OptionalKey =
  'kubeconfig' | 'context' | 'externalAddress' | 'externalCAFile' | 'externalServerName';

/** exactOptionalPropertyTypes: an absent option is a missing key, never `undefined`. */
function setOptional(options: BackendOptions, key: OptionalKey, v: string | undefined): void {
  if (v !== undefined) options[key] = v;
}

const leaseFlags = {
  lease: 'leader-election-lease-duration',
  renew: 'leader-election-renew-deadline',
  retry: 'leader-election-retry-period',
} as const;

function readLeaderElection(r: FlagReader, env: Environment): LeaderElectionOptions {
  const options: LeaderElectionOptions = {
    ...(env['POD_NAME'] && { holderName: env['POD_NAME'] }),
    enabled: r.bool('leader-elect', defaults.leaderElect),
    namespace: r.value(
      'leader-election-namespace',
      defaults.leaderElectionNamespace,
      value.nonEmpty,
    ),
    leaseName: r.value('leader-election-id', defaults.leaderElectionID, value.nonEmpty),
    leaseDurationMs: r.value(leaseFlags.lease, defaults.leaseDuration, value.positiveDuration),
    renewDeadlineMs: r.value(leaseFlags.renew, defaults.renewDeadline, value.positiveDuration),
    retryPeriodMs: r.value(leaseFlags.retry, defaults.retryPeriod, value.positiveDuration),
  };
  // Checked even with --leader-elect=false: a wrong value is a mistake whether or not it is used
  // yet. Compared only when each of them is valid on its own, so one mistake gives one message.
  if (Object.values(leaseFlags).some((name) => r.isInvalid(name))) return options;
  const text = (name: string, fallback: string): string => r.raw(name) ?? fallback;
  if (options.renewDeadlineMs >= options.leaseDurationMs) {
    r.fail(
      leaseFlags.renew,
      text(leaseFlags.renew, defaults.renewDeadline),
      `want less than --${leaseFlags.lease} (${text(leaseFlags.lease, defaults.leaseDuration)})`,
    );
  }
  if (options.retryPeriodMs >= options.renewDeadlineMs) {
    r.fail(
      leaseFlags.retry,
      text(leaseFlags.retry, defaults.retryPeriod),
      `want less than --${leaseFlags.renew} (${text(leaseFlags.renew, defaults.renewDeadline)})`,
    );
  }
  return options;
}
