// The provenance annotations the konnector stamps on synced objects (docs/controllers.md §1.7,
// protocol.md §8). Provider objects say which contract namespace, consumer namespace and consumer
// object they come from; consumer copies say which provider object they mirror. Pure: functions
// return new objects and never touch other annotations.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import {
  clusterNamespaceAnnotation,
  consumerNamespaceAnnotation,
  consumerUIDAnnotation,
  providerNamespaceAnnotation,
  providerUIDAnnotation,
} from '../apis/kubebind/wire.ts';

export const provenanceAnnotations: readonly string[] = [
  clusterNamespaceAnnotation,
  consumerNamespaceAnnotation,
  consumerUIDAnnotation,
  providerNamespaceAnnotation,
  providerUIDAnnotation,
];

interface WithMeta {
  metadata?: ObjectMeta;
}

/** What a provider object records about its consumer origin. */
export interface ProviderProvenance {
  clusterNamespace: string;
  /** Absent for cluster-scoped consumer objects. */
  consumerNamespace?: string;
  consumerUID: string;
}

/** What a consumer copy records about its provider origin. */
export interface ConsumerProvenance {
  /** Absent for cluster-scoped provider objects. */
  providerNamespace?: string;
  providerUID: string;
}

/** The provenance of a provider object synced from `consumer` for `contractNamespace`. */
export function provenanceOfConsumer(
  contractNamespace: string,
  consumer: WithMeta,
): ProviderProvenance {
  const ns = consumer.metadata?.namespace;
  return {
    clusterNamespace: contractNamespace,
    ...(ns ? { consumerNamespace: ns } : {}),
    consumerUID: consumer.metadata?.uid ?? '',
  };
}

/** The provenance of a consumer copy synced from `provider`. */
export function provenanceOfProvider(provider: WithMeta): ConsumerProvenance {
  const ns = provider.metadata?.namespace;
  return { ...(ns ? { providerNamespace: ns } : {}), providerUID: provider.metadata?.uid ?? '' };
}

/** `obj` with the given annotations set (undefined values removed); other annotations kept. */
function withAnnotations<T extends WithMeta>(obj: T, set: Record<string, string | undefined>): T {
  const kept = Object.entries(obj.metadata?.annotations ?? {}).filter(([key]) => !(key in set));
  const added = Object.entries(set).filter((e): e is [string, string] => !!e[1]);
  const annotations = Object.fromEntries([...kept, ...added]);
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

/**
 * `obj` (a provider object) annotated with its consumer provenance. A stale
 * `kube-bind.io/consumer-namespace` is removed for cluster-scoped consumer objects.
 */
export function withProviderProvenance<T extends WithMeta>(obj: T, p: ProviderProvenance): T {
  return withAnnotations(obj, {
    [clusterNamespaceAnnotation]: p.clusterNamespace,
    [consumerNamespaceAnnotation]: p.consumerNamespace,
    [consumerUIDAnnotation]: p.consumerUID,
  });
}

/** `obj` (a consumer copy) annotated with its provider provenance. */
export function withConsumerProvenance<T extends WithMeta>(obj: T, p: ConsumerProvenance): T {
  return withAnnotations(obj, {
    [providerNamespaceAnnotation]: p.providerNamespace,
    [providerUIDAnnotation]: p.providerUID,
  });
}

/**
 * `annotations` without the five provenance keys: what to carry across when copying metadata
 * from one side to the other, so neither side's provenance leaks to the other.
 */
export function withoutProvenance(
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([key]) => !provenanceAnnotations.includes(key)),
  );
}

/** A provider object's provenance; undefined unless it has a cluster namespace and consumer UID. */
export function readProviderProvenance(obj: WithMeta): ProviderProvenance | undefined {
  const a = obj.metadata?.annotations ?? {};
  const clusterNamespace = a[clusterNamespaceAnnotation];
  const consumerUID = a[consumerUIDAnnotation];
  const consumerNamespace = a[consumerNamespaceAnnotation];
  if (!clusterNamespace || !consumerUID) return undefined;
  return { clusterNamespace, ...(consumerNamespace ? { consumerNamespace } : {}), consumerUID };
}

/** A consumer copy's provenance; undefined unless it has a provider UID. */
export function readConsumerProvenance(obj: WithMeta): ConsumerProvenance | undefined {
  const a = obj.metadata?.annotations ?? {};
  const providerUID = a[providerUIDAnnotation];
  const providerNamespace = a[providerNamespaceAnnotation];
  if (!providerUID) return undefined;
  return { ...(providerNamespace ? { providerNamespace } : {}), providerUID };
}

/**
 * Whether a provider object belongs to the consumer of `contractNamespace` (its
 * `kube-bind.io/cluster-namespace` says so). With `consumer`, also whether it mirrors that very
 * consumer object (same UID): a provider object left by a deleted and re-created consumer object,
 * or another consumer's object under the same name (isolation None), is not ours.
 */
export function isOwnProviderObject(
  obj: WithMeta,
  contractNamespace: string,
  consumer?: WithMeta,
): boolean {
  const p = readProviderProvenance(obj);
  if (!p || p.clusterNamespace !== contractNamespace) return false;
  if (consumer === undefined) return true;
  const uid = consumer.metadata?.uid;
  return !!uid && p.consumerUID === uid;
}

/** Whether a consumer object is the copy of this provider object (same provider UID). */
export function isCopyOfProviderObject(obj: WithMeta, provider: WithMeta): boolean {
  const uid = provider.metadata?.uid;
  return !!uid && readConsumerProvenance(obj)?.providerUID === uid;
}
