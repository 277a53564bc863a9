// What konnector controllers see: one provider cluster (the contract namespace a provider
// kubeconfig grants) next to the one consumer cluster the konnector runs in. The runtime's
// Manager engages a ProviderCluster per distinct provider kubeconfig, so every controller runs
// once per provider and is stopped when its kubeconfig goes away or changes.
//
// Every client says which cluster it talks to: `providerClient` / `providerInformers` for the
// provider cluster, `consumer.client` / `consumer.informers` for the consumer. The runtime's
// `client` and `informers` are the same provider objects, kept for the Manager and Controller.
import type { KubeClient } from '../kube/client.ts';
import type { InformerFactory } from '../runtime/cache/factory.ts';
import type { Cluster } from '../runtime/cluster.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { SyncerRegistry } from './sync/registry.ts';

/** The consumer cluster: shared by every provider cluster. */
export interface ConsumerSide {
  readonly client: KubeClient;
  /** Cluster-wide informers of the consumer (bindings, bundles, CRDs, namespaces). */
  readonly informers: InformerFactory;
  readonly events: EventRecorder;
}

/** Where a provider kubeconfig lives on the consumer: a Secret key. */
export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

export interface ProviderCluster extends Cluster {
  /** `<secret namespace>/<secret name>/<key>`: the consumer Secret key holding the kubeconfig. */
  readonly name: string;
  /** The provider cluster's client, authorised by the kubeconfig's service-account token. */
  readonly providerClient: KubeClient;
  /** Provider cluster informers, restricted to the contract namespace for kube-bind kinds. */
  readonly providerInformers: InformerFactory;
  /** The runtime's name for `providerClient`; konnector code says `providerClient`. */
  readonly client: KubeClient;
  /** The runtime's name for `providerInformers`; konnector code says `providerInformers`. */
  readonly informers: InformerFactory;
  /** The kubeconfig context's namespace on the provider. */
  readonly contractNamespace: string;
  readonly secret: SecretKeyRef;
  readonly consumer: ConsumerSide;
  /** The running spec/status syncers and claim syncers of this provider's bindings. */
  readonly syncers: SyncerRegistry;
}

export function secretKeyRefName(ref: SecretKeyRef): string {
  return `${ref.namespace}/${ref.name}/${ref.key}`;
}
