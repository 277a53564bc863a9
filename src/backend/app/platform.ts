// What differs between the two providers, behind one shape: where clusters come from, how a
// request's cluster_id names one, when the front door may call itself ready, and where issued
// kubeconfigs point. The manager and the front door each run their own provider from it (every
// replica serves HTTP; only the leader runs controllers).
import type { Logger } from 'pino';
import type { KubeClient, RequestObserver } from '../../kube/client.ts';
import type { ClusterConnection } from '../../kube/config.ts';
import { SingleClusterProvider } from '../../providers/default/single-cluster.ts';
import { consumerKubeconfigServer } from '../../providers/kcp/kubeconfig-server.ts';
import { KcpProvider } from '../../providers/kcp/provider.ts';
import type { ReflectorMetrics } from '../../runtime/cache/reflector.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { Provider } from '../../runtime/manager/provider.ts';
import { singleCluster, type ClusterNaming } from '../binding/clusters.ts';
import type { BackendOptions } from '../options/options.ts';

/** Where issued kubeconfigs point: --external-address/--external-ca-file, else the cluster's. */
export interface KubeconfigTarget {
  server: string;
  caPem: string;
}

/** A running provider as the front door sees it. */
export interface ServingProvider {
  provider: Provider;
  /** True once the provider knows which clusters exist (they may still be syncing). */
  settled: () => boolean;
  /** Watches open on the provider's connections (for /metrics and leak checks). */
  openWatches: () => number;
}

export interface ProviderPlatform {
  readonly kind: BackendOptions['provider'];
  readonly naming: ClusterNaming;
  /** A fresh provider; each caller runs and stops its own. */
  readonly newProvider: (name: string) => ServingProvider;
  /** Where the kubeconfigs issued for `cluster` point. */
  readonly targetFor: (cluster: Cluster) => KubeconfigTarget;
}

export interface PlatformDeps {
  /** The provider cluster (default) or the APIExport's workspace (kcp). */
  connection: ClusterConnection;
  client: KubeClient;
  clock: Clock;
  log: Logger;
  metrics?: { reflector?: ReflectorMetrics; requests?: RequestObserver };
}

export function providerPlatform(options: BackendOptions, deps: PlatformDeps): ProviderPlatform {
  return options.provider === 'kcp'
    ? kcpPlatform(options, deps)
    : kubernetesPlatform(options, deps);
}

/** One plain cluster, named `default`, reached with an empty cluster_id. */
export function kubernetesPlatform(options: BackendOptions, deps: PlatformDeps): ProviderPlatform {
  const target = {
    server: options.externalAddress ?? deps.connection.server,
    caPem: options.externalCA ?? deps.connection.caPem ?? '',
  };
  return {
    kind: 'kubernetes',
    naming: singleCluster('default'),
    newProvider: () => {
      let engaged = false;
      const single = new SingleClusterProvider({
        client: deps.client,
        clock: deps.clock,
        log: deps.log,
        ...(deps.metrics?.reflector && { metrics: { reflector: deps.metrics.reflector } }),
      });
      return {
        provider: {
          run: (sink, signal) =>
            single.run(
              {
                engage: (cluster) => {
                  engaged = true;
                  return sink.engage(cluster);
                },
                disengage: (name) => sink.disengage(name),
              },
              signal,
            ),
        },
        settled: () => engaged,
        openWatches: () => deps.client.openWatches,
      };
    },
    targetFor: () => target,
  };
}

/** Every logical cluster bound to the kube-bind.io APIExport, named by its id. */
export function kcpPlatform(options: BackendOptions, deps: PlatformDeps): ProviderPlatform {
  return {
    kind: 'kcp',
    naming: (clusterId) => (clusterId === '' ? undefined : clusterId),
    newProvider: (name) => {
      const kcp = new KcpProvider({
        connection: deps.connection,
        endpointSliceName: options.apiExportEndpointSliceName,
        clock: deps.clock,
        log: deps.log.child({ provider: name }),
        ...(deps.metrics && { metrics: deps.metrics }),
      });
      return { provider: kcp, settled: () => kcp.settled, openWatches: () => kcp.openWatches };
    },
    targetFor: (cluster) => ({
      server: consumerKubeconfigServer(cluster.client.server, options.externalAddress),
      caPem: options.externalCA ?? deps.connection.caPem ?? '',
    }),
  };
}
