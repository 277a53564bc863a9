// The servicebinding controller (docs/protocol.md §8, controllers.md §1.4): for each
// APIServiceBinding of this provider, installs the consumer CRDs from the export's BoundSchemas,
// reports them back into the BoundSchemas and the export, runs one spec/status syncer per bound
// resource, and keeps the binding's conditions. Deleting a binding releases it first (provider
// copies deleted, consumer finalizers dropped) so the CRD and its objects can go.
import { isDeepStrictEqual } from 'node:util';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import { resourceGroupName } from '../../../apis/kubebind/group-resource.ts';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { InvalidError } from '../../../kube/errors.ts';
import { ResourceClient, resourceType } from '../../../kube/resource.ts';
import { CustomResourceDefinitions } from '../../../kube/resources.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import type { ControllerSpec, ReconcileContext } from '../../../runtime/controller/controller.ts';
import { watch } from '../../../runtime/controller/handlers.ts';
import type { ObjectRef } from '../../../runtime/controller/request.ts';
import { requeueAfter } from '../../../runtime/controller/result.ts';
import type { Result } from '../../../runtime/controller/result.ts';
import type { ProviderCluster } from '../../cluster.ts';
import { secretKeyRefName } from '../../cluster.ts';
import { exportIsolation, placement, watchScope } from '../../placement.ts';
import type { Scope, WatchScope } from '../../placement.ts';
import { refOf } from '../../providers/kubeconfig-secret.ts';
import { isClaimable } from '../../../apis/kubebind/konnector-rbac.ts';
import type { SyncObject } from '../../sync/decide.ts';
import { hasFinalizer } from '../../sync/decide.ts';
import { patchFinalizer } from '../../sync/finalizer.ts';
import { startResourceSyncer } from '../../sync/resource-syncer.ts';
import type { SyncerDeps } from '../../sync/resource-syncer.ts';
import type { ResourceSyncSettings } from '../../sync/view.ts';
import {
  bindingConditions,
  bindingFinalizer,
  boundSchemaStatus,
  consumerCRD,
  crdEstablished,
  crdOwnedBy,
  crdUpdate,
  exportConditions,
  syncVersion,
} from './decide.ts';
import type { BindingState } from './decide.ts';

export const serviceBindingControllerName = 'konnector-servicebinding';

/** How soon to look again while CRDs establish or informers sync. */
const pendingRecheckMs = 1_000;

export function serviceBindingController(
  clock: Clock,
  syncerDeps: SyncerDeps,
): ControllerSpec<ProviderCluster> {
  return {
    name: serviceBindingControllerName,
    workers: 2,
    watches: (cluster) => {
      const s = informersOf(cluster);
      const ours = (b: kb.APIServiceBinding) => isOurs(cluster, b);
      const all = (): ObjectRef[] =>
        s.bindings.lister
          .list()
          .filter(ours)
          .map((b) => ({ name: b.metadata?.name ?? '' }));
      const byName = (o: { metadata?: { name?: string } }) => [{ name: o.metadata?.name ?? '' }];
      const byOwner = (o: { metadata?: { ownerReferences?: { kind: string; name: string }[] } }) =>
        (o.metadata?.ownerReferences ?? [])
          .filter((r) => r.kind === 'APIServiceExport' || r.kind === 'APIServiceBinding')
          .map((r) => ({ name: r.name }));
      return [
        watch(s.bindings, { filter: ours }),
        watch(s.exports, { map: byName }),
        watch(s.requests, { map: byName }),
        watch(s.boundSchemas, { map: (o) => [...byOwner(o), ...all()] }),
        watch(s.clusterBindings, { map: all }),
        watch(s.serviceNamespaces, { map: all }),
        watch(s.crds, { map: byOwner }),
      ];
    },
    reconcile: (req, ctx) => reconcileBinding(req.name, ctx, clock, syncerDeps),
  };
}

function informersOf(cluster: ProviderCluster) {
  const ns = { namespace: cluster.contractNamespace };
  const p = cluster.informers;
  const c = cluster.consumer.informers;
  return {
    bindings: c.informerFor(kb.APIServiceBindings),
    crds: c.informerFor(CustomResourceDefinitions),
    exports: p.informerFor(kb.APIServiceExports, ns),
    requests: p.informerFor(kb.APIServiceExportRequests, ns),
    boundSchemas: p.informerFor(kb.BoundSchemas, ns),
    clusterBindings: p.informerFor(kb.ClusterBindings, ns),
    serviceNamespaces: p.informerFor(kb.APIServiceNamespaces, ns),
  };
}

function isOurs(cluster: ProviderCluster, b: kb.APIServiceBinding): boolean {
  const ref = refOf(b);
  return !!ref && secretKeyRefName(ref) === cluster.name;
}

async function reconcileBinding(
  name: string,
  { cluster, signal, log }: ReconcileContext<ProviderCluster>,
  clock: Clock,
  syncerDeps: SyncerDeps,
): Promise<Result | undefined> {
  const s = informersOf(cluster);
  const binding = s.bindings.lister.get(name);
  const prefix = `${name}/`;
  if (!binding || !isOurs(cluster, binding)) {
    if (!binding) for (const key of cluster.syncers.keys(prefix)) await cluster.syncers.stop(key);
    return undefined;
  }
  const bindings = new ResourceClient(cluster.consumer.client, kb.APIServiceBindings);
  if (binding.metadata?.deletionTimestamp) {
    if (!hasFinalizer(binding, bindingFinalizer)) return undefined;
    for (const key of cluster.syncers.keys(prefix)) {
      await cluster.syncers.get(key)?.release(signal);
      await cluster.syncers.stop(key);
    }
    await patchFinalizer(bindings, binding, bindingFinalizer, false, signal);
    log.info('binding released: provider copies deleted, consumer finalizers removed');
    return undefined;
  }
  if (!hasFinalizer(binding, bindingFinalizer)) {
    await patchFinalizer(bindings, binding, bindingFinalizer, true, signal);
    return undefined;
  }

  const now = clock.now();
  const contract = cluster.contractNamespace;
  const exp = s.exports.lister.get(namespacedKey(contract, name));
  const clusterBinding = s.clusterBindings.lister.get(namespacedKey(contract, 'cluster'));
  const state: BindingState = {
    crdErrors: [],
    schemasPending: [],
    informersSynced: true,
    heartbeating: !!clusterBinding?.status?.lastHeartbeatTime,
  };
  const wanted = new Set<string>();
  if (!exp) {
    const request = s.requests.lister.get(namespacedKey(contract, name));
    const failed = request?.status?.phase === 'Failed' ? request.status.terminalMessage : undefined;
    state.exportMissing = failed ? { failedMessage: failed } : {};
  } else {
    for (const resource of exp.spec.resources) {
      const bsName = resourceGroupName(resource);
      const bs = s.boundSchemas.lister.get(namespacedKey(contract, bsName));
      if (!bs?.spec) {
        state.schemasPending.push(`BoundSchema ${bsName}`);
        continue;
      }
      const crd = await ensureCRD(
        cluster,
        binding,
        bs,
        s.crds.lister.get(crdNameOf(bs)),
        state,
        signal,
      );
      if (!crd || !crdEstablished(crd)) {
        if (crd) state.schemasPending.push(`CustomResourceDefinition ${crd.metadata?.name ?? ''}`);
        continue;
      }
      await reportBoundSchema(cluster, bs, crd, now, signal);
      const key = `${prefix}${bsName}`;
      wanted.add(key);
      const settings = syncSettings(cluster, name, exp, bs, crd, s.serviceNamespaces.lister.list());
      const syncer = await cluster.syncers.ensure(
        key,
        JSON.stringify(settingsFingerprint(settings)),
        () => startResourceSyncer(cluster, settings, syncerDeps),
      );
      if (!syncer.hasSynced()) state.informersSynced = false;
    }
    for (const claim of exp.spec.permissionClaims ?? []) {
      if (!isClaimable(claim)) {
        state.crdErrors.push({
          reason: 'UnsupportedPermissionClaim',
          message: `permission claim on ${claim.resource}.${claim.group ?? ''} is not supported (only configmaps, secrets and serviceaccounts)`,
        });
        continue;
      }
      const key = `${prefix}claim/${claim.resource}`;
      wanted.add(key);
      const settings = claimSettings(cluster, name, exp, claim, s.serviceNamespaces.lister.list());
      const fingerprint = { ...settingsFingerprint(settings), claim: settings.claim };
      const syncer = await cluster.syncers.ensure(key, JSON.stringify(fingerprint), () =>
        startResourceSyncer(cluster, settings, syncerDeps),
      );
      if (!syncer.hasSynced()) state.informersSynced = false;
    }
  }
  for (const key of cluster.syncers.keys(prefix)) {
    if (!wanted.has(key)) await cluster.syncers.stop(key);
  }

  const current = binding.status?.conditions ?? [];
  const conditions = bindingConditions(current, state, now);
  const status: kb.APIServiceBindingStatus = {
    ...binding.status,
    providerPrettyName:
      clusterBinding?.spec.providerPrettyName ?? binding.status?.providerPrettyName ?? '',
    conditions,
    ...(exp && {
      boundSchemas: exp.spec.resources.map((r) => ({ group: r.group ?? '', resource: r.resource })),
    }),
    ...(exp?.spec.permissionClaims && { permissionClaims: exp.spec.permissionClaims }),
  };
  if (!isDeepStrictEqual(status, binding.status ?? {})) {
    await patchStatusGuarded(bindings, binding, { ...status }, signal);
  }
  if (exp) await reportExport(cluster, exp, conditions, now, signal);
  const pending = state.schemasPending.length > 0 || !state.informersSynced;
  return pending ? requeueAfter(pendingRecheckMs) : undefined;
}

function crdNameOf(bs: kb.BoundSchema): string {
  return `${bs.spec?.names.plural ?? ''}.${bs.spec?.group ?? ''}`;
}

/** Creates or updates the consumer CRD; records why it cannot. Returns the live CRD if any. */
async function ensureCRD(
  cluster: ProviderCluster,
  binding: kb.APIServiceBinding,
  bs: kb.BoundSchema,
  live: CustomResourceDefinition | undefined,
  state: BindingState,
  signal: AbortSignal,
): Promise<CustomResourceDefinition | undefined> {
  const crds = new ResourceClient(cluster.consumer.client, CustomResourceDefinitions);
  const desired = consumerCRD(bs, binding);
  const name = desired.metadata?.name ?? '';
  try {
    if (!live) return await crds.create(desired, { signal });
    if (!crdOwnedBy(live, binding)) {
      state.crdErrors.push({
        reason: 'ForeignCustomResourceDefinition',
        message: `CustomResourceDefinition ${name} exists and does not belong to APIServiceBinding ${binding.metadata?.name ?? ''}`,
      });
      return undefined;
    }
    const update = crdUpdate(live, desired);
    return update ? await crds.update(update, { signal }) : live;
  } catch (err) {
    if (!(err instanceof InvalidError)) throw err;
    state.crdErrors.push({
      reason: live
        ? 'CustomResourceDefinitionUpdateFailed'
        : 'CustomResourceDefinitionCreateFailed',
      message: `CustomResourceDefinition ${name}: ${err.message}`,
    });
    return undefined;
  }
}

async function reportBoundSchema(
  cluster: ProviderCluster,
  bs: kb.BoundSchema,
  crd: CustomResourceDefinition,
  now: number,
  signal: AbortSignal,
): Promise<void> {
  const next = boundSchemaStatus(bs, crd, now);
  if (!next) return;
  const client = new ResourceClient(cluster.client, kb.BoundSchemas, cluster.contractNamespace);
  await patchStatusGuarded(client, bs, { ...next }, signal);
}

async function reportExport(
  cluster: ProviderCluster,
  exp: kb.APIServiceExport,
  bindingConds: readonly Condition[],
  now: number,
  signal: AbortSignal,
): Promise<void> {
  const current = exp.status?.conditions ?? [];
  const next = exportConditions(exp, bindingConds, now);
  if (isDeepStrictEqual(next, current)) return;
  const client = new ResourceClient(
    cluster.client,
    kb.APIServiceExports,
    cluster.contractNamespace,
  );
  await patchStatusGuarded(client, exp, { conditions: next }, signal);
}

function syncSettings(
  cluster: ProviderCluster,
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
    placement: placement({
      isolation,
      consumerScope,
      providerScope,
      contractNamespace: cluster.contractNamespace,
    }),
    scope: watchScope({
      informerScope: exp.spec.informerScope,
      providerScope,
      contractNamespace: cluster.contractNamespace,
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
function claimSettings(
  cluster: ProviderCluster,
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
      contractNamespace: cluster.contractNamespace,
    }),
    // Claimed objects are watched per namespace whatever the export's informer scope: the
    // backend grants claims only in the service namespaces (never cluster-wide, which would
    // reach every Secret of the provider), so a cluster-wide watch is Forbidden. Not in the
    // contract namespace either: it maps to no consumer namespace, and holds the consumer's
    // own credentials.
    scope: claimScope(cluster.contractNamespace, serviceNamespaces),
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

/** What a syncer restarts for when it changes. */
function settingsFingerprint(s: ResourceSyncSettings) {
  return {
    exportUID: s.export.metadata?.uid,
    consumer: s.consumerType,
    provider: s.providerType,
    status: s.consumerStatusSubresource,
    strategy: s.placement.strategy,
    scope: s.scope,
  };
}
