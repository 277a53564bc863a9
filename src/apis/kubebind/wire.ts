// The names that cross the wire: labels, annotations, finalizers and condition types that the
// backend, the konnector and `kubectl bind` write on objects another party (or upstream's Go
// code) reads. Each is defined here once and imported by every place that says it, so two sides
// that must agree cannot drift apart. The enum values of the kinds (isolation, scopes, phases, …)
// are generated beside the kinds' types in types.gen.ts. The naming convention — every constant
// ends in Label, Annotation, Finalizer or Condition — is what wire.test.ts checks for clashes.

// --- labels ---

/**
 * Who owns an object that both sides hold (docs/controllers.md §1.7): written on pre-seeded
 * APIServiceNamespaces by the backend and on claimed objects by the konnector, and read by the
 * backend's admission policy. Its values are `Owner`.
 */
export const ownerLabel = 'kube-bind.io/owner';

export type Owner = 'provider' | 'consumer';

/** On CRDs (or kcp APIResourceSchemas), value `true`: the provider offers them for binding. */
export const exportedLabel = 'kube-bind.io/exported';

/** On objects the backend manages, so its informers can select them by label. */
export const managedByLabel = 'kube-bind.io/managed-by';

/**
 * On provider-kubeconfig Secrets in the consumer cluster: `kubectl bind` writes it and the
 * konnector selects on it, so it heartbeats before any binding exists.
 */
export const providerKubeconfigLabel = 'kube-bind.io/provider-kubeconfig';

/** On the konnector's RBAC objects: the binding they serve (hashed when longer than a label). */
export const konnectorBindingLabel = 'konnector.kube-bind.io/binding';

// --- annotations ---

/** On an APIServiceExport: the hash of its BoundSchemas' specs (spec-hash.ts). */
export const sourceSpecHashAnnotation = 'kube-bind.io/source-spec-hash';

/** On a provider namespace: `<contract-ns>/<apiservicenamespace>`, the one it was created for. */
export const apiServiceNamespaceAnnotation = 'kube-bind.io/api-service-namespace';

/** On the backend's RBAC objects: `<contract-ns>/<export>`, the export they serve. */
export const exportAnnotation = 'kube-bind.io/export';

/** On kcp APIBindingTemplates the backend writes: the APIBinding they were made for. */
export const ownerBindingAnnotation = 'apibindingtemplate.kube-bind.io/owner-binding';

/** On the konnector's RBAC objects: the full binding name. */
export const konnectorBindingAnnotation = 'konnector.kube-bind.io/binding';

/** On consumer CRDs the konnector writes: the hash of the BoundSchema they come from. */
export const boundSchemaHashAnnotation = 'konnector.kube-bind.io/bound-schema-hash';

// Provenance, stamped by the konnector on synced objects (docs/controllers.md §1.7) and read by
// the backend's admission policy.

/** On provider objects: the contract namespace of the consumer that owns the object. */
export const clusterNamespaceAnnotation = 'kube-bind.io/cluster-namespace';
/** On provider objects: the consumer object's namespace (absent for cluster-scoped objects). */
export const consumerNamespaceAnnotation = 'kube-bind.io/consumer-namespace';
/** On provider objects: the consumer object's UID. */
export const consumerUIDAnnotation = 'kube-bind.io/consumer-uid';
/** On consumer copies: the provider object's namespace (absent for cluster-scoped objects). */
export const providerNamespaceAnnotation = 'kube-bind.io/provider-namespace';
/** On consumer copies: the provider object's UID. */
export const providerUIDAnnotation = 'kube-bind.io/provider-uid';

// The consumer's objects on the provider (docs/controllers.md §3): upstream's names, so a cluster
// upstream provisioned is recognised when this backend takes it over.

/** On the contract namespace: the consumer's identity. */
export const identityAnnotation = 'backend.kube-bind.io/identity';
/** The same, as upstream's example backend wrote it. */
export const legacyIdentityAnnotation = 'example-backend.kube-bind.io/identity';
/** On the contract namespace: the OIDC subject of the first binder. */
export const authorAnnotation = 'backend.kube-bind.io/author';
/** On the contract namespace: the consumer cluster's pretty name. */
export const clusterPrettyNameAnnotation = 'backend.kube-bind.io/cluster-pretty-name';
/** Ours, on the contract namespace: a JSON array of its owners (binding/ownership.ts). */
export const ownersAnnotation = 'backend.kube-bind.io/owners';

// --- finalizers ---

/** On consumer objects while their provider copy may exist (upstream's name, no dash). */
export const downstreamFinalizer = 'kubebind.io/syncer';

/** On APIServiceBindings: the konnector releases the binding before it goes. */
export const bindingFinalizer = 'konnector.kube-bind.io/unbind';

// --- condition types ---

/** The summary condition (conditions.ts computes it from the others). */
export const ReadyCondition = 'Ready';

/** APIServiceExport (backend): its BoundSchemas exist and the source-spec hash matches. */
export const providerInSyncCondition = 'ProviderInSync';
/** ClusterBinding (backend): the konnector heartbeats. */
export const healthyCondition = 'Healthy';
/** APIServiceExportRequest (backend): the exports it asks for are in place. */
export const exportsReadyCondition = 'ExportsReady';
/** APIServiceExportRequest (backend): its permission claims are valid and granted. */
export const permissionClaimCondition = 'PermissionClaim';

/** Bindings, bundles and ClusterBindings (konnector): the provider kubeconfig Secret is usable. */
export const secretValidCondition = 'SecretValid';
/** APIServiceBindingBundle (konnector): its APIServiceBindings are made and none is foreign. */
export const syncedCondition = 'Synced';
/** APIServiceBinding (konnector): its export is on the provider and its CRDs could be written. */
export const connectedCondition = 'Connected';
/** APIServiceBinding (konnector): the consumer CRDs match the BoundSchemas. */
export const schemaInSyncCondition = 'SchemaInSync';
/** APIServiceBinding (konnector): the sync informers have synced. */
export const informersSyncedCondition = 'InformersSynced';
/** APIServiceBinding (konnector): the ClusterBinding heartbeat is being written. */
export const heartbeatingCondition = 'Heartbeating';
/** APIServiceExport (konnector): the consumer side is in sync with it. */
export const consumerInSyncCondition = 'ConsumerInSync';
/** ClusterBinding (konnector): the konnector version is valid. */
export const validVersionCondition = 'ValidVersion';

// --- claimable resources ---

/** A consumer resource a permission claim may name (upstream's ClaimableAPIs). */
export interface ClaimableResource {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
}

/** Every resource a permission claim may name, all core and namespaced. */
export const claimableResources: readonly ClaimableResource[] = [
  { group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap' },
  { group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret' },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
  },
];
