// The servicebinding controller (docs/protocol.md §8, controllers.md §1.4): for each
// APIServiceBinding of this provider, installs the consumer CRDs from the export's BoundSchemas,
// reports them back into the BoundSchemas and the export, runs one spec/status syncer per bound
// resource, and keeps the binding's conditions. Deleting a binding releases it first (provider
// copies deleted, consumer finalizers dropped) so the CRD and its objects can go.
// Each pass gathers from the caches, asks decide.ts what to do (a typed action), and acts; what
// became of each resource and claim then decides the conditions.
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import { resourceGroupName } from '../../../apis/kubebind/group-resource.ts';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { InvalidError } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
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
import { refOf } from '../../cluster-source/kubeconfig-secret.ts';
import { patchFinalizer } from '../../sync/finalizer.ts';
import { startResourceSyncer } from '../../sync/resource-syncer.ts';
import type { SyncerDeps } from '../../sync/resource-syncer.ts';
import type { ResourceSyncSettings } from '../../sync/view.ts';
import { bindingFinalizer } from '../../../apis/kubebind/wire.ts';
import {
  bindingConditions,
  bindingState,
  bindingStatus,
  boundSchemaStatus,
  crdEstablished,
  crdNameOf,
  crdWriteError,
  decideBinding,
  decideClaim,
  decideCRD,
  exportConditionsUpdate,
  exportMissing,
  staleSyncers,
  stillSettling,
} from './decide.ts';
import type { BindingError, CRDAction, SyncOutcome } from './decide.ts';
import { claimSyncSettings, resourceSyncSettings, syncerFingerprint } from './syncer-settings.ts';

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
      const informers = informersOf(cluster);
      const ours = (binding: kb.APIServiceBinding) => isOurs(cluster, binding);
      const all = (): ObjectRef[] =>
        informers.bindings.lister
          .list()
          .filter(ours)
          .map((binding) => ({ name: binding.metadata?.name ?? '' }));
      const byName = (obj: { metadata?: { name?: string } }) => [
        { name: obj.metadata?.name ?? '' },
      ];
      const byOwner = (obj: {
        metadata?: { ownerReferences?: { kind: string; name: string }[] };
      }) =>
        (obj.metadata?.ownerReferences ?? [])
          .filter((ref) => ref.kind === 'APIServiceExport' || ref.kind === 'APIServiceBinding')
          .map((ref) => ({ name: ref.name }));
      return [
        watch(informers.bindings, { filter: ours }),
        watch(informers.exports, { map: byName }),
        watch(informers.requests, { map: byName }),
        watch(informers.boundSchemas, { map: (bs) => [...byOwner(bs), ...all()] }),
        watch(informers.clusterBindings, { map: all }),
        watch(informers.serviceNamespaces, { map: all }),
        watch(informers.crds, { map: byOwner }),
      ];
    },
    reconcile: (req, ctx) => reconcileBinding(req.name, ctx, clock, syncerDeps),
  };
}

/** Bindings and CRDs on the consumer; the contract namespace's kube-bind kinds on the provider. */
function informersOf(cluster: ProviderCluster) {
  const contract = { namespace: cluster.contractNamespace };
  const consumer = cluster.consumer.informers;
  const provider = cluster.providerInformers;
  return {
    bindings: consumer.informerFor(kb.APIServiceBindings),
    crds: consumer.informerFor(CustomResourceDefinitions),
    exports: provider.informerFor(kb.APIServiceExports, contract),
    requests: provider.informerFor(kb.APIServiceExportRequests, contract),
    boundSchemas: provider.informerFor(kb.BoundSchemas, contract),
    clusterBindings: provider.informerFor(kb.ClusterBindings, contract),
    serviceNamespaces: provider.informerFor(kb.APIServiceNamespaces, contract),
  };
}

function isOurs(cluster: ProviderCluster, binding: kb.APIServiceBinding): boolean {
  const ref = refOf(binding);
  return !!ref && secretKeyRefName(ref) === cluster.name;
}

async function reconcileBinding(
  name: string,
  ctx: ReconcileContext<ProviderCluster>,
  clock: Clock,
  syncerDeps: SyncerDeps,
): Promise<Result | undefined> {
  const { cluster, signal, log } = ctx;
  const binding = informersOf(cluster).bindings.lister.get(name);
  const action = decideBinding(binding, !!binding && isOurs(cluster, binding));
  const syncerKeys = () => cluster.syncers.keys(`${name}/`);
  const bindings = new ResourceClient(cluster.consumer.client, kb.APIServiceBindings);
  switch (action.type) {
    case 'none':
      return undefined;
    case 'stop-syncers':
      for (const key of syncerKeys()) await cluster.syncers.stop(key);
      return undefined;
    case 'release':
      for (const key of syncerKeys()) {
        await cluster.syncers.get(key)?.release(signal);
        await cluster.syncers.stop(key);
      }
      await patchFinalizer(bindings, action.binding, bindingFinalizer, false, signal);
      log.info('binding released: provider copies deleted, consumer finalizers removed');
      return undefined;
    case 'add-finalizer':
      await patchFinalizer(bindings, action.binding, bindingFinalizer, true, signal);
      return undefined;
    case 'sync':
      return syncBinding(action.binding, ctx, clock.now(), syncerDeps);
  }
}

/** One sync of one binding: what it read, and the syncers it wants so far. */
interface BindingPass {
  binding: kb.APIServiceBinding;
  name: string;
  export: kb.APIServiceExport;
  serviceNamespaces: kb.APIServiceNamespace[];
  ctx: ReconcileContext<ProviderCluster>;
  now: number;
  syncerDeps: SyncerDeps;
  wanted: Set<string>;
}

/** Installs the export's CRDs, runs its syncers, stops the others, and reports. */
async function syncBinding(
  binding: kb.APIServiceBinding,
  ctx: ReconcileContext<ProviderCluster>,
  now: number,
  syncerDeps: SyncerDeps,
): Promise<Result | undefined> {
  const { cluster, signal } = ctx;
  const name = binding.metadata?.name ?? '';
  const informers = informersOf(cluster);
  const key = (n: string) => namespacedKey(cluster.contractNamespace, n);
  const exp = informers.exports.lister.get(key(name));
  const clusterBinding = informers.clusterBindings.lister.get(key('cluster'));
  const wanted = new Set<string>();
  const outcomes: SyncOutcome[] = [];
  if (exp) {
    const serviceNamespaces = informers.serviceNamespaces.lister.list();
    const pass = { binding, name, export: exp, serviceNamespaces, ctx, now, syncerDeps, wanted };
    for (const resource of exp.spec.resources) outcomes.push(await syncResource(pass, resource));
    for (const claim of exp.spec.permissionClaims ?? []) {
      outcomes.push(await syncClaim(pass, claim));
    }
  }
  for (const stale of staleSyncers(cluster.syncers.keys(`${name}/`), wanted)) {
    await cluster.syncers.stop(stale);
  }

  const heartbeating = !!clusterBinding?.status?.lastHeartbeatTime;
  const missing = exp ? undefined : exportMissing(informers.requests.lister.get(key(name)));
  const state = bindingState(outcomes, heartbeating, missing);
  const conditions = bindingConditions(binding.status?.conditions ?? [], state, now);
  const status = bindingStatus(binding, conditions, exp, clusterBinding);
  if (status) {
    const bindings = new ResourceClient(cluster.consumer.client, kb.APIServiceBindings);
    await patchStatusGuarded(bindings, binding, { ...status }, signal);
  }
  if (exp) await reportExport(cluster, exp, conditions, now, signal);
  return stillSettling(state) ? requeueAfter(pendingRecheckMs) : undefined;
}

/** One bound resource: its CRD installed and established, reported, and its syncer running. */
async function syncResource(
  pass: BindingPass,
  resource: kb.APIServiceExportResource,
): Promise<SyncOutcome> {
  const { cluster, signal } = pass.ctx;
  const informers = informersOf(cluster);
  const bsName = resourceGroupName(resource);
  const bs = informers.boundSchemas.lister.get(namespacedKey(cluster.contractNamespace, bsName));
  if (!bs?.spec) return { type: 'pending', waitingFor: `BoundSchema ${bsName}` };
  const live = informers.crds.lister.get(crdNameOf(bs));
  const crd = await applyCRD(cluster, decideCRD(bs, pass.binding, live), signal);
  if ('error' in crd) return { type: 'failed', error: crd.error };
  if (!crdEstablished(crd.live)) {
    const crdName = crd.live.metadata?.name ?? '';
    return { type: 'pending', waitingFor: `CustomResourceDefinition ${crdName}` };
  }
  await reportBoundSchema(cluster, bs, crd.live, pass.now, signal);
  const settings = resourceSyncSettings(
    cluster.contractNamespace,
    pass.name,
    pass.export,
    bs,
    crd.live,
    pass.serviceNamespaces,
  );
  return ensureSyncer(pass, `${pass.name}/${bsName}`, settings);
}

/** One permission claim: its syncer running, or why it cannot. */
async function syncClaim(pass: BindingPass, claim: kb.PermissionClaim): Promise<SyncOutcome> {
  const decision = decideClaim(claim);
  if (decision.type === 'refuse') return { type: 'failed', error: decision.error };
  const settings = claimSyncSettings(
    pass.ctx.cluster.contractNamespace,
    pass.name,
    pass.export,
    claim,
    pass.serviceNamespaces,
  );
  return ensureSyncer(pass, `${pass.name}/claim/${claim.resource}`, settings);
}

/** Runs the syncer at `key` with `settings` (restarting it when they changed); wants it kept. */
async function ensureSyncer(
  pass: BindingPass,
  key: string,
  settings: ResourceSyncSettings,
): Promise<SyncOutcome> {
  const { cluster } = pass.ctx;
  pass.wanted.add(key);
  const syncer = await cluster.syncers.ensure(key, syncerFingerprint(settings), () =>
    startResourceSyncer(cluster, settings, pass.syncerDeps),
  );
  return { type: 'syncing', synced: syncer.hasSynced() };
}

/** Carries out a CRD decision: the live CRD after it, or why there is none. */
async function applyCRD(
  cluster: ProviderCluster,
  action: CRDAction,
  signal: AbortSignal,
): Promise<{ live: CustomResourceDefinition } | { error: BindingError }> {
  switch (action.type) {
    case 'refuse':
      return { error: action.error };
    case 'keep':
      return { live: action.live };
    case 'create':
      return writeCRD(cluster, 'create', action.desired, signal);
    case 'update':
      return writeCRD(cluster, 'update', action.update, signal);
  }
}

/** Creates or updates a consumer CRD; a schema the apiserver refuses is the binding's error. */
async function writeCRD(
  cluster: ProviderCluster,
  verb: 'create' | 'update',
  crd: CustomResourceDefinition,
  signal: AbortSignal,
): Promise<{ live: CustomResourceDefinition } | { error: BindingError }> {
  const crds = new ResourceClient(cluster.consumer.client, CustomResourceDefinitions);
  try {
    const live =
      verb === 'create' ? await crds.create(crd, { signal }) : await crds.update(crd, { signal });
    return { live };
  } catch (err) {
    if (!(err instanceof InvalidError)) throw err;
    return { error: crdWriteError(verb, crd.metadata?.name ?? '', err.message) };
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
  const client = new ResourceClient(
    cluster.providerClient,
    kb.BoundSchemas,
    cluster.contractNamespace,
  );
  await patchStatusGuarded(client, bs, { ...next }, signal);
}

async function reportExport(
  cluster: ProviderCluster,
  exp: kb.APIServiceExport,
  bindingConds: readonly Condition[],
  now: number,
  signal: AbortSignal,
): Promise<void> {
  const next = exportConditionsUpdate(exp, bindingConds, now);
  if (!next) return;
  const client = new ResourceClient(
    cluster.providerClient,
    kb.APIServiceExports,
    cluster.contractNamespace,
  );
  await patchStatusGuarded(client, exp, { conditions: next }, signal);
}
