// Who owns a claimed object, and what the claim syncer does about it, as pure functions of the
// consumer and provider objects of one name (upstream v0.8.1's konnector
// `claimedresources`). Claimed objects (ConfigMaps, Secrets, ServiceAccounts) flow both ways: the
// owner's object is copied to the other side, labelled `kube-bind.io/owner=<owner>` and annotated
// with its provenance; creates, updates and deletes follow the owner, and an edited copy is
// overwritten.
//
// Ownership, for the two objects of one name (consumer namespace ↔ provider namespace through the
// APIServiceNamespace):
//
// | consumer object | provider object | owner                                                     |
// | --------------- | --------------- | --------------------------------------------------------- |
// | —               | any             | consumer if labelled `owner=consumer`, else provider      |
// | any             | —               | provider if labelled `owner=provider`, else consumer      |
// | copy of P       | original        | the provider's label: `consumer` transfers, else provider |
// | original        | copy of C       | the consumer's label: `provider` transfers, else consumer |
// | neither (or both) a copy of the other | | P's label; else C's if `provider`; else a conflict |
//
// "Copy of" is by UID: a consumer copy's `kube-bind.io/provider-uid` is the provider object's UID,
// a provider copy's `kube-bind.io/consumer-uid` the consumer object's (and its
// `kube-bind.io/cluster-namespace` our contract namespace). So only a label change on the owner's
// side transfers ownership; a copy relabelled on the other side is overwritten like any other edit.
// Upstream lets the provider's label win in every case (a consumer cannot hand its object over, and
// a provider relabelling a consumer's copy takes it); that is the difference.
//
// Nothing here writes the owner's object, except to hand ownership over: the new owner (the former
// copy) is relabelled and loses its provenance in one update, then the other side becomes its copy.
// Only copies are ever deleted: an object whose original is gone is deleted when its provenance and
// label say it is our copy, never a lone object someone labelled by hand.
import { isDeepStrictEqual } from '../builtins.ts';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import {
  provenanceOfConsumer,
  provenanceOfProvider,
  readConsumerProvenance,
  readProviderProvenance,
  withConsumerProvenance,
  withoutProvenance,
  withProviderProvenance,
} from '../provenance.ts';
import type { SyncObject } from './decide.ts';
import { contentOf } from './decide.ts';
import {
  clusterNamespaceAnnotation,
  consumerNamespaceAnnotation,
  consumerUIDAnnotation,
  ownerLabel,
  providerNamespaceAnnotation,
  providerUIDAnnotation,
  type Owner,
} from '../../apis/kubebind/wire.ts';

export type { Owner };
export type Side = Owner;

/** The consumer and provider objects of one claimed name, and what the claim selects. */
export interface ClaimState {
  /** The consumer object, if any (from the cache). */
  consumer?: SyncObject | undefined;
  /** The provider object, if any (from the cache). */
  provider?: SyncObject | undefined;
  contractNamespace: string;
  consumerNamespace: string;
  providerNamespace: string;
  /** The claimed resource's apiVersion and kind (cached objects may lack them). */
  apiVersion: string;
  kind: string;
  /** Whether the claim selects the consumer object (false when there is none). */
  consumerSelected: boolean;
  /** Whether the claim selects the provider object, its namespace mapped to the consumer's. */
  providerSelected: boolean;
}

export type ClaimAction =
  | { action: 'none' }
  | { action: 'conflict' }
  | { action: 'create'; side: Side; object: SyncObject }
  | { action: 'update'; side: Side; object: SyncObject }
  | { action: 'delete'; side: Side; name: string; uid: string };

const other = (s: Side): Side => (s === 'provider' ? 'consumer' : 'provider');

function ownerLabelOf(obj: SyncObject | undefined): Owner | undefined {
  const v = obj?.metadata?.labels?.[ownerLabel];
  return v === 'provider' || v === 'consumer' ? v : undefined;
}

const deleting = (obj: SyncObject | undefined): boolean => !!obj?.metadata?.deletionTimestamp;

/** Whether `consumer` is the copy of this very provider object (UID in its provenance). */
export function isConsumerCopyOf(consumer: SyncObject, provider: SyncObject): boolean {
  const uid = provider.metadata?.uid;
  return !!uid && readConsumerProvenance(consumer)?.providerUID === uid;
}

/** Whether `provider` is our copy of this very consumer object. */
export function isProviderCopyOf(
  provider: SyncObject,
  consumer: SyncObject,
  contractNamespace: string,
): boolean {
  const uid = consumer.metadata?.uid;
  const p = readProviderProvenance(provider);
  return !!uid && p?.clusterNamespace === contractNamespace && p.consumerUID === uid;
}

/** Whether a consumer object is a copy we made of some provider object in `providerNamespace`. */
export function isOurConsumerCopy(consumer: SyncObject, providerNamespace: string): boolean {
  const p = readConsumerProvenance(consumer);
  return (
    ownerLabelOf(consumer) === 'provider' &&
    !!p &&
    (p.providerNamespace ?? '') === providerNamespace
  );
}

/** Whether a provider object is a copy we made of some consumer object in `consumerNamespace`. */
export function isOurProviderCopy(
  provider: SyncObject,
  contractNamespace: string,
  consumerNamespace: string,
): boolean {
  const p = readProviderProvenance(provider);
  return (
    ownerLabelOf(provider) === 'consumer' &&
    p?.clusterNamespace === contractNamespace &&
    (p.consumerNamespace ?? '') === consumerNamespace
  );
}

/** Whether a provider object is the copy of another consumer's object. */
function isForeignCopy(provider: SyncObject, contractNamespace: string): boolean {
  const ns = provider.metadata?.annotations?.[clusterNamespaceAnnotation];
  return !!ns && ns !== contractNamespace;
}

/**
 * The owner of the name (see the table above); undefined when neither object exists or the
 * provider object is another consumer's copy and ours has no object of that name.
 */
export function claimOwner(
  state: Pick<ClaimState, 'consumer' | 'provider' | 'contractNamespace'>,
): Owner | 'conflict' | undefined {
  const { consumer: c, provider: p } = state;
  if (!c && !p) return undefined;
  // Another consumer's copy (isolation None shares provider namespaces): never ours to follow.
  if (p && isForeignCopy(p, state.contractNamespace)) return c ? 'conflict' : undefined;
  if (!c) return ownerLabelOf(p) === 'consumer' ? 'consumer' : 'provider';
  if (!p) return ownerLabelOf(c) === 'provider' ? 'provider' : 'consumer';
  const cIsCopy = isConsumerCopyOf(c, p);
  const pIsCopy = isProviderCopyOf(p, c, state.contractNamespace);
  if (cIsCopy && !pIsCopy) return ownerLabelOf(p) ?? 'provider';
  if (pIsCopy && !cIsCopy) return ownerLabelOf(c) ?? 'consumer';
  // Unrelated objects: the provider's label first (upstream's order). A provider object without
  // one is the provider's own and stays so: a consumer cannot take it over by labelling its
  // object `consumer` (upstream would let it; the backend's admission policy refuses the write).
  return ownerLabelOf(p) ?? (ownerLabelOf(c) === 'provider' ? 'provider' : 'conflict');
}

/** What the claim syncer does for one name: at most one write per pass. */
export function decideClaim(state: ClaimState): ClaimAction {
  const owner = claimOwner(state);
  if (owner === undefined) return { action: 'none' };
  if (owner === 'conflict') {
    // Two unrelated objects of one name (say, kube-root-ca.crt in every namespace) are a
    // conflict only when the claim selects one of them.
    const selected = state.consumerSelected || state.providerSelected;
    return selected ? { action: 'conflict' } : { action: 'none' };
  }
  const source = objectOn(state, owner);
  const target = objectOn(state, other(owner));

  // Hand-over: the owner's object is still the copy of the other side's, whose label gave it
  // away. The copy becomes the original (relabelled, provenance dropped, the latest content).
  if (source && target && !deleting(source) && !deleting(target) && isCopy(state, owner)) {
    return { action: 'update', side: owner, object: takeOver(state, source, target, owner) };
  }

  const selected = owner === 'provider' ? state.providerSelected : state.consumerSelected;
  if (!source || deleting(source) || !selected) {
    return target && !deleting(target) && isOurCopy(state, other(owner), source)
      ? deleteAction(other(owner), target)
      : { action: 'none' };
  }
  const desired = claimCopy(state, source, owner);
  if (!target) return { action: 'create', side: other(owner), object: desired };
  if (deleting(target)) return { action: 'none' }; // its deletion event brings us back
  const update = copyUpdate(target, desired);
  if (!update) return { action: 'none' };
  // A copy the API server will not update in place (immutable, or a Secret of another type) is
  // deleted; the deletion's event brings us back to create it anew.
  if (mustRecreate(target, desired)) return deleteAction(other(owner), target);
  return { action: 'update', side: other(owner), object: update };
}

/** Whether `current` cannot become `desired` by an update: immutable content, or a new type. */
export function mustRecreate(current: SyncObject, desired: SyncObject): boolean {
  const contentChanged = !isDeepStrictEqual(contentOf(current), contentOf(desired));
  const typeChanged = current['type'] !== undefined && current['type'] !== desired['type'];
  return contentChanged && (current['immutable'] === true || typeChanged);
}

/** Unbinding: the copy on the side that does not own the name is deleted; nothing else. */
export function decideRelease(state: ClaimState): ClaimAction {
  const owner = claimOwner(state);
  if (owner !== 'provider' && owner !== 'consumer') return { action: 'none' };
  const side = other(owner);
  const copy = objectOn(state, side);
  return copy && !deleting(copy) && isOurCopy(state, side, objectOn(state, owner))
    ? deleteAction(side, copy)
    : { action: 'none' };
}

function objectOn(state: ClaimState, side: Side): SyncObject | undefined {
  return side === 'provider' ? state.provider : state.consumer;
}

/** Whether the object on `side` is the copy of the object on the other side. */
function isCopy(state: ClaimState, side: Side): boolean {
  const { consumer: c, provider: p } = state;
  if (!c || !p) return false;
  return side === 'consumer'
    ? isConsumerCopyOf(c, p)
    : isProviderCopyOf(p, c, state.contractNamespace);
}

/** Whether the object on `side` is ours to delete: a copy of `original`, or of a gone object. */
function isOurCopy(state: ClaimState, side: Side, original: SyncObject | undefined): boolean {
  const obj = objectOn(state, side);
  if (!obj) return false;
  if (original && isCopy(state, side)) return true;
  return side === 'consumer'
    ? isOurConsumerCopy(obj, state.providerNamespace)
    : isOurProviderCopy(obj, state.contractNamespace, state.consumerNamespace);
}

function deleteAction(side: Side, obj: SyncObject): ClaimAction {
  return {
    action: 'delete',
    side,
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
  };
}

/**
 * The copy of `source` (owned by `owner`) on the other side: its content, labels and annotations,
 * the owner label, and the provenance of `source`; nothing of the other side's.
 */
export function claimCopy(state: ClaimState, source: SyncObject, owner: Owner): SyncObject {
  const meta = source.metadata ?? {};
  const toConsumer = owner === 'provider';
  const metadata: ObjectMeta = {
    name: meta.name ?? '',
    namespace: toConsumer ? state.consumerNamespace : state.providerNamespace,
    labels: { ...meta.labels, [ownerLabel]: owner },
    annotations: withoutProvenance(meta.annotations),
  };
  const copy: SyncObject = {
    apiVersion: state.apiVersion,
    kind: state.kind,
    metadata,
    ...contentOf(source),
  };
  return toConsumer
    ? withConsumerProvenance(copy, provenanceOfProvider(source))
    : withProviderProvenance(copy, provenanceOfConsumer(state.contractNamespace, source));
}

/**
 * The update that makes `current` (a copy) equal `desired`: content, labels and annotations
 * replaced, so edits on the copy's side are overwritten; undefined when they already agree.
 */
export function copyUpdate(current: SyncObject, desired: SyncObject): SyncObject | undefined {
  const have = current.metadata ?? {};
  const want = desired.metadata ?? {};
  if (
    isDeepStrictEqual(contentOf(current), contentOf(desired)) &&
    isDeepStrictEqual(have.labels ?? {}, want.labels ?? {}) &&
    isDeepStrictEqual(have.annotations ?? {}, want.annotations ?? {})
  ) {
    return undefined;
  }
  return {
    ...(desired.apiVersion && { apiVersion: desired.apiVersion }),
    ...(desired.kind && { kind: desired.kind }),
    metadata: { ...have, labels: want.labels ?? {}, annotations: want.annotations ?? {} },
    ...contentOf(desired),
  };
}

/**
 * `copy` made the original for its new `owner`: the content, labels and annotations of
 * `original` (the object whose label gave it away), labelled for the new owner, without
 * provenance. The resourceVersion of `copy` guards the update.
 */
export function takeOver(
  state: Pick<ClaimState, 'apiVersion' | 'kind'>,
  copy: SyncObject,
  original: SyncObject,
  owner: Owner,
): SyncObject {
  const from = original.metadata ?? {};
  return {
    apiVersion: state.apiVersion,
    kind: state.kind,
    metadata: {
      ...copy.metadata,
      labels: { ...from.labels, [ownerLabel]: owner },
      annotations: withoutProvenance(from.annotations),
    },
    ...contentOf(original),
  };
}

/** The provenance keys each side's copies carry (for tests and docs). */
export const copyProvenance: Readonly<Record<Side, readonly string[]>> = {
  consumer: [providerNamespaceAnnotation, providerUIDAnnotation],
  provider: [clusterNamespaceAnnotation, consumerNamespaceAnnotation, consumerUIDAnnotation],
};
