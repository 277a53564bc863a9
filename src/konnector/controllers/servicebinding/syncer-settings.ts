// What the servicebinding controller starts a syncer with, pure: the settings of one bound
// resource or permission claim of an export, and the fingerprint a running syncer restarts for.
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type * as kb from '../../../apis/kubebind/types.gen.ts';
import { resourceType } from '../../../kube/resource.ts';
import { exportIsolation, placement, watchScope } from '../../placement.ts';
import type { Scope, WatchScope } from '../../placement.ts';
import type { SyncObject } from '../../sync/decide.ts';
import type { ResourceSyncSettings } from '../../sync/view.ts';
import { syncVersion } from './decide.ts';

/** A bound resource's syncer: the BoundSchema's resource, placed as the export's isolation says. */
export function resourceSyncSettings(
  contractNamespace: string,
  binding: string,
  exp: kb.APIServiceExport,
  bs: kb.BoundSchema,
  crd: CustomResourceDefinition,
  serviceNamespaces: readonly kb.APIServiceNamespace[],
): ResourceSyncSettings {
  const spec = bs.spec;
  if (!spec) throw new Error(`BoundSchema ${bs.metadata?.name ?? ''} has no spec`);
  const isolation = exportIsolation(exp.spec);
  const consumerScope: Scope = spec.scope;
  // With isolation Namespaced the backend turned a namespaced provider resource cluster-scoped.
  const providerScope: Scope = isolation === 'Namespaced' ? 'Namespaced' : spec.scope;
  const version = syncVersion(bs) ?? '';
  const versionDef = crd.spec.versions.find((v) => v.name === version);
  const type = (namespaced: boolean) =>
    resourceType<SyncObject>({
      group: spec.group,
      version,
      resource: spec.names.plural,
      kind: spec.names.kind,
      namespaced,
    });
  return {
    binding,
    export: { metadata: { name: exp.metadata?.name ?? '', uid: exp.metadata?.uid ?? '' } },
    consumerType: type(consumerScope === 'Namespaced'),
    providerType: type(providerScope === 'Namespaced'),
    consumerStatusSubresource: !!versionDef?.subresources?.status,
    placement: placement({ isolation, consumerScope, providerScope, contractNamespace }),
    scope: watchScope({
      informerScope: exp.spec.informerScope,
      providerScope,
      contractNamespace,
      serviceNamespaces: serviceNamespaces.map((sn) => sn.status?.namespace ?? ''),
    }),
  };
}

const claimKinds: Readonly<Record<string, string>> = {
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  serviceaccounts: 'ServiceAccount',
};

/** A claim's syncer: core objects in consumer namespaces to the matching provider namespaces. */
export function claimSyncSettings(
  contractNamespace: string,
  binding: string,
  exp: kb.APIServiceExport,
  claim: kb.PermissionClaim,
  serviceNamespaces: readonly kb.APIServiceNamespace[],
): ResourceSyncSettings {
  const type = resourceType<SyncObject>({
    group: '',
    version: 'v1',
    resource: claim.resource,
    kind: claimKinds[claim.resource] ?? '',
    namespaced: true,
  });
  const versionOf = (ref: { group?: string; resource: string; versions?: string[] }) =>
    ref.versions?.[0] ??
    exp.spec.resources.find(
      (r) => r.resource === ref.resource && (r.group ?? '') === (ref.group ?? ''),
    )?.versions?.[0] ??
    'v1';
  return {
    binding,
    export: { metadata: { name: exp.metadata?.name ?? '', uid: exp.metadata?.uid ?? '' } },
    consumerType: type,
    providerType: type,
    consumerStatusSubresource: false,
    placement: placement({
      isolation: 'Prefixed',
      consumerScope: 'Namespaced',
      providerScope: 'Namespaced',
      contractNamespace,
    }),
    // Claimed objects are watched per namespace whatever the export's informer scope: the
    // backend grants claims only in the service namespaces (never cluster-wide, which would
    // reach every Secret of the provider), so a cluster-wide watch is Forbidden. Not in the
    // contract namespace either: it maps to no consumer namespace, and holds the consumer's
    // own credentials.
    scope: claimScope(contractNamespace, serviceNamespaces),
    claim: {
      selector: claim.selector,
      references: (claim.selector.references ?? []).map((ref) => ({
        type: resourceType({
          group: ref.group ?? '',
          version: versionOf(ref),
          resource: ref.resource,
          kind: '',
          namespaced: true,
        }),
        jsonPath: ref.jsonPath,
      })),
    },
  };
}

/** A claim's provider namespaces: the service namespaces, without the contract namespace. */
function claimScope(
  contractNamespace: string,
  serviceNamespaces: readonly kb.APIServiceNamespace[],
): WatchScope {
  const all = watchScope({
    informerScope: 'Namespaced',
    providerScope: 'Namespaced',
    contractNamespace,
    serviceNamespaces: serviceNamespaces.map((sn) => sn.status?.namespace ?? ''),
  });
  return all.clusterWide
    ? all
    : { clusterWide: false, namespaces: all.namespaces.filter((ns) => ns !== contractNamespace) };
}

/** What a syncer restarts for when it changes: its settings, and a claim's selector. */
export function syncerFingerprint(settings: ResourceSyncSettings): string {
  return JSON.stringify({
    exportUID: settings.export.metadata?.uid,
    consumer: settings.consumerType,
    provider: settings.providerType,
    status: settings.consumerStatusSubresource,
    strategy: settings.placement.strategy,
    scope: settings.scope,
    ...(settings.claim && { claim: settings.claim }),
  });
}
