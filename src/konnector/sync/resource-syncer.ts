// The spec and status syncers of one bound resource of one binding: a consumer informer for the
// resource, provider informers as the export's informer scope allows (one cluster-wide, or one
// per provider namespace), and two controllers keyed by the consumer object. Started and stopped
// by the servicebinding controller through the cluster's SyncerRegistry.
import type { Logger } from 'pino';
import type { APIServiceExport, Selector } from '../../apis/kubebind/types.gen.ts';
import * as kb from '../../apis/kubebind/types.gen.ts';
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import { SharedInformerFactory } from '../../runtime/cache/factory.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import { namespacedKey } from '../../runtime/cache/keys.ts';
import type { ReflectorMetrics } from '../../runtime/cache/reflector.ts';
import { namespaceIndex } from '../../runtime/cache/store.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import { Controller } from '../../runtime/controller/controller.ts';
import type { ControllerOptions } from '../../runtime/controller/controller.ts';
import { watch } from '../../runtime/controller/handlers.ts';
import type { ProviderCluster } from '../cluster.ts';
import { namespaceMap } from '../placement.ts';
import type { Placement, WatchScope } from '../placement.ts';
import { isOwnProviderObject } from '../provenance.ts';
import { namedOnly } from '../../apis/kubebind/konnector-rbac.ts';
import { isClaimed, referencedKeys } from './claims.ts';
import type { SyncObject } from './decide.ts';
import type { RunningSyncer } from './registry.ts';
import { ownerLabel, reconcileSpec, releaseConsumerObject } from './spec.ts';
import { reconcileStatus } from './status.ts';
import { unionInformer } from './union-informer.ts';

export interface ResourceSyncSettings {
  binding: string;
  export: Pick<APIServiceExport, 'metadata'>;
  consumerType: ResourceType<SyncObject>;
  providerType: ResourceType<SyncObject>;
  /** Whether the consumer CRD has the status subresource. */
  consumerStatusSubresource: boolean;
  placement: Placement;
  scope: WatchScope;
  /**
   * A permission claim: only the objects it selects are synced (consumer → provider, no
   * finalizer, no status), and their provider copies are labelled `kube-bind.io/owner=consumer`.
   */
  claim?: {
    selector: Selector;
    /** The resources `selector.references` read, resolved to versions. */
    references: { type: ResourceType; jsonPath: { name?: string; namespace?: string } }[];
  };
}

export interface SyncerDeps {
  clock: Clock;
  log: Logger;
  controller: Omit<ControllerOptions, 'clock' | 'log'>;
  reflectorMetrics?: ReflectorMetrics;
  workers?: number;
}

/** What the spec and status reconcilers read and write. */
export interface SyncView {
  settings: ResourceSyncSettings;
  cluster: ProviderCluster;
  consumer: Informer<SyncObject>;
  serviceNamespaces: Informer<kb.APIServiceNamespace>;
  /** The provider object at `key`, from whichever provider informer watches it. */
  provider(key: { namespace?: string; name: string }): SyncObject | undefined | 'unwatched';
  /** The contract Namespace's UID, read once per syncer. */
  contractNamespaceUID(): Promise<string | undefined>;
  /** Whether this consumer object is synced at all (claims select; bound resources: all). */
  selects(obj: SyncObject): boolean;
}

export function startResourceSyncer(
  cluster: ProviderCluster,
  settings: ResourceSyncSettings,
  deps: SyncerDeps,
): RunningSyncer {
  const log = deps.log.child({
    binding: settings.binding,
    resource: `${settings.consumerType.resource}.${settings.consumerType.group}`,
  });
  const factoryOpts = {
    clock: deps.clock,
    log,
    ...(deps.reflectorMetrics && { metrics: deps.reflectorMetrics }),
  };
  const consumerFactory = new SharedInformerFactory({
    client: cluster.consumer.client,
    ...factoryOpts,
  });
  const providerFactory = new SharedInformerFactory({ client: cluster.client, ...factoryOpts });
  const consumer = consumerInformer(consumerFactory, settings);
  const providers = new Map<string, Informer<SyncObject>>();
  // Claimed copies are labelled: watch only those (a provider's own Secrets stay unseen).
  const claimedOnly = settings.claim ? { labelSelector: `${ownerLabel}=consumer` } : {};
  if (settings.scope.clusterWide) {
    providers.set('', providerFactory.informerFor(settings.providerType, claimedOnly));
  } else {
    for (const ns of settings.scope.namespaces) {
      providers.set(
        ns,
        providerFactory.informerFor(settings.providerType, { namespace: ns, ...claimedOnly }),
      );
    }
  }
  const serviceNamespaces = cluster.informers.informerFor(kb.APIServiceNamespaces, {
    namespace: cluster.contractNamespace,
  });
  const claim = settings.claim;
  const references = (claim?.references ?? []).map((r) => ({
    informer: consumerFactory.informerFor(r.type),
    jsonPath: r.jsonPath,
  }));
  // The referenced keys, recomputed after any referencing object changed.
  let referenced: Set<string> | undefined;
  for (const r of references) {
    const forget = () => (referenced = undefined);
    r.informer.addEventHandler({ add: forget, update: forget, delete: forget });
  }
  const referencedNow = (): Set<string> => {
    referenced ??= new Set(
      references.flatMap((r) =>
        r.informer.lister
          .list()
          .flatMap((o) => referencedKeys(o, r.jsonPath).map((k) => `${k.namespace}/${k.name}`)),
      ),
    );
    return referenced;
  };
  let namespaceUID: Promise<string | undefined> | undefined;
  const view: SyncView = {
    selects: (obj) => !claim || isClaimed(obj, claim.selector, referencedNow()),
    settings,
    cluster,
    consumer,
    serviceNamespaces,
    provider(key) {
      const informer = providers.get('') ?? providers.get(key.namespace ?? '');
      if (!informer) return 'unwatched';
      return informer.lister.get(namespacedKey(key.namespace, key.name));
    },
    contractNamespaceUID() {
      namespaceUID ??= cluster.client
        .request<{ metadata?: { uid?: string } }>(
          'GET',
          `/api/v1/namespaces/${cluster.contractNamespace}`,
        )
        .then((ns) => ns.metadata?.uid)
        .catch((err: unknown) => {
          namespaceUID = undefined;
          throw err;
        });
      return namespaceUID;
    },
  };

  const contract = cluster.contractNamespace;
  const toConsumerRefs = (obj: SyncObject) => {
    if (!isOwnProviderObject(obj, contract)) return [];
    const { namespace, name } = obj.metadata ?? {};
    if (!name) return [];
    const ns = namespaceMapOf(serviceNamespaces);
    const key = settings.placement.toConsumer({ ...(namespace && { namespace }), name }, ns);
    return key ? [{ namespace: key.namespace, name: key.name }] : [];
  };
  const inNamespace = (sn: kb.APIServiceNamespace) =>
    consumer.lister
      .byIndex(namespaceIndex, sn.metadata?.name ?? '')
      .map((o) => ({ namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' }));
  const referencedRefs = (jsonPath: { name?: string; namespace?: string }) => (o: KubeObject) =>
    referencedKeys(o, jsonPath).map((k) => ({ namespace: k.namespace, name: k.name }));
  const watches = () => [
    watch(consumer),
    ...[...providers.values()].map((i) => watch(i, { map: toConsumerRefs })),
    watch(serviceNamespaces, { map: inNamespace }),
    ...references.map((r) => watch(r.informer, { map: referencedRefs(r.jsonPath) })),
  ];
  const opts: ControllerOptions = { clock: deps.clock, log, ...deps.controller };
  const workers = deps.workers ?? 8;
  const spec = new Controller<Cluster>(
    {
      name: claim ? 'konnector-claims' : 'konnector-spec',
      workers,
      watches,
      reconcile: (req, ctx) => reconcileSpec(view, req, ctx),
    },
    opts,
  );
  const status = new Controller<Cluster>(
    {
      name: 'konnector-status',
      workers,
      watches,
      reconcile: (req, ctx) => reconcileStatus(view, req, ctx),
    },
    opts,
  );
  const controllers = claim ? [spec] : [spec, status];
  const pseudo: Cluster = {
    name: cluster.name,
    client: cluster.client,
    informers: providerFactory,
  };
  consumerFactory.start();
  for (const c of controllers) c.start();
  const engaged = Promise.all(controllers.map((c) => c.engage(pseudo))).catch((err: unknown) =>
    log.debug({ err }, 'syncer stopped before its caches synced'),
  );
  log.info({ scope: settings.scope, strategy: settings.placement.strategy }, 'syncer started');
  const stopControllers = async () => {
    await Promise.all(controllers.map((c) => c.stop()));
    await engaged;
  };
  return {
    hasSynced: () =>
      consumer.hasSynced() &&
      [...providers.values()].every((i) => i.hasSynced()) &&
      references.every((r) => r.informer.hasSynced()),
    async release(signal) {
      await stopControllers();
      for (const obj of consumer.lister.list()) {
        const { namespace, name = '' } = obj.metadata ?? {};
        await releaseConsumerObject(view, { ...(namespace && { namespace }), name }, obj, signal);
      }
    },
    async stop() {
      await stopControllers();
      await Promise.all([consumerFactory.stop(), providerFactory.stop()]);
      log.info('syncer stopped');
    },
  };
}

/**
 * The consumer objects the syncer sees: every object of the resource, or, for a claim that names
 * its objects, those names only (the konnector is granted no more, konnector-rbac.ts).
 */
function consumerInformer(
  factory: SharedInformerFactory,
  settings: ResourceSyncSettings,
): Informer<SyncObject> {
  const named = settings.claim && namedOnly(settings.claim.selector);
  if (!named) return factory.informerFor(settings.consumerType);
  const parts = named.map((n) =>
    factory.informerFor(settings.consumerType, {
      fieldSelector: `metadata.name=${n.name}`,
      ...(n.namespace && { namespace: n.namespace }),
    }),
  );
  return unionInformer(settings.consumerType.resource, parts);
}

/** The consumer ↔ provider namespace map of the contract namespace's APIServiceNamespaces. */
export function namespaceMapOf(informer: Informer<kb.APIServiceNamespace>) {
  return namespaceMap(informer.lister.list());
}
