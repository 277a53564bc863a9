// What the spec and status syncers want, as pure functions of the two objects
// (docs/controllers.md §5.9, docs/protocol.md §8). Consumer → provider: every top-level field but
// metadata and status (spec, data, …), the consumer's labels and annotations (added to the
// provider's, never removing what provider-side controllers put there), and the provenance
// annotations. Provider → consumer: status only, plus the consumer copy's provenance annotations.
import { isDeepStrictEqual } from '../builtins.ts';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../kube/resource.ts';
import type { ObjectKey, PlacementStrategy } from '../placement.ts';
import {
  provenanceOfConsumer,
  provenanceOfProvider,
  readConsumerProvenance,
  withConsumerProvenance,
  withoutProvenance,
  withProviderProvenance,
} from '../provenance.ts';

/** A synced object: any Kubernetes object with arbitrary top-level fields. */
export type SyncObject = KubeObject & { status?: unknown } & Record<string, unknown>;

const notContent = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/** The top-level fields that travel consumer → provider. */
export function contentOf(obj: SyncObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !notContent.has(k)));
}

export interface ProviderTarget {
  key: ObjectKey;
  apiVersion: string;
  kind: string;
  contractNamespace: string;
  strategy: PlacementStrategy;
  /** The contract Namespace's UID: cluster-scoped provider objects are owned by it (GC). */
  contractNamespaceUID?: string | undefined;
}

/** The provider object for `consumer` as it should be created. */
export function desiredProviderObject(consumer: SyncObject, target: ProviderTarget): SyncObject {
  const meta = consumer.metadata ?? {};
  const clusterScoped = target.strategy === 'ClusterPrefixed' || target.strategy === 'ClusterNone';
  const ownerReferences: OwnerReference[] =
    clusterScoped && target.contractNamespaceUID
      ? [
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            name: target.contractNamespace,
            uid: target.contractNamespaceUID,
          },
        ]
      : [];
  const metadata: ObjectMeta = {
    name: target.key.name,
    ...(target.key.namespace && { namespace: target.key.namespace }),
    ...(meta.labels && Object.keys(meta.labels).length > 0 && { labels: { ...meta.labels } }),
    annotations: withoutProvenance(meta.annotations),
    ...(ownerReferences.length > 0 && { ownerReferences }),
  };
  return withProviderProvenance(
    { apiVersion: target.apiVersion, kind: target.kind, metadata, ...contentOf(consumer) },
    provenanceOfConsumer(target.contractNamespace, consumer),
  );
}

/**
 * The update that brings `provider` to `desired`, or undefined when it is already there: content
 * replaced, desired labels and annotations set (others kept), owner references added. Keeps the
 * provider's resourceVersion (optimistic concurrency) and status.
 */
export function providerUpdate(provider: SyncObject, desired: SyncObject): SyncObject | undefined {
  const have = provider.metadata ?? {};
  const want = desired.metadata ?? {};
  const labels = { ...have.labels, ...want.labels };
  const annotations = { ...have.annotations, ...want.annotations };
  const owners = [...(have.ownerReferences ?? [])];
  for (const ref of want.ownerReferences ?? []) {
    if (!owners.some((o) => o.uid === ref.uid)) owners.push(ref);
  }
  const same =
    isDeepStrictEqual(contentOf(provider), contentOf(desired)) &&
    isDeepStrictEqual(labels, have.labels ?? {}) &&
    isDeepStrictEqual(annotations, have.annotations ?? {}) &&
    owners.length === (have.ownerReferences ?? []).length;
  if (same) return undefined;
  const metadata: ObjectMeta = {
    ...have,
    ...(Object.keys(labels).length > 0 && { labels }),
    annotations,
    ...(owners.length > 0 && { ownerReferences: owners }),
  };
  return {
    ...(provider.apiVersion && { apiVersion: provider.apiVersion }),
    ...(provider.kind && { kind: provider.kind }),
    metadata,
    ...contentOf(desired),
    ...(provider.status !== undefined && { status: provider.status }),
  };
}

/** The consumer's status as the provider has it, or undefined when they already agree. */
export function consumerStatusUpdate(
  consumer: SyncObject,
  provider: SyncObject,
): SyncObject | undefined {
  if (isDeepStrictEqual(consumer.status, provider.status)) return undefined;
  const next: SyncObject = { ...consumer };
  if (provider.status === undefined) delete next.status;
  else next.status = provider.status;
  return next;
}

/** The consumer's annotations with the provider provenance, or undefined when already there. */
export function consumerProvenanceUpdate(
  consumer: SyncObject,
  provider: SyncObject,
): Record<string, string> | undefined {
  const want = provenanceOfProvider(provider);
  const have = readConsumerProvenance(consumer);
  if (have?.providerUID === want.providerUID && have.providerNamespace === want.providerNamespace) {
    return undefined;
  }
  return withConsumerProvenance(consumer, want).metadata?.annotations ?? {};
}

// The syncers' finalizer rules, kept in a module of their own so the servicebinding controller
// shares them without importing this file.
export { finalizersWith, hasFinalizer } from '../finalizer-list.ts';
