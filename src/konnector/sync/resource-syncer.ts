// The spec and status syncers of one bound resource of one binding: a consumer informer for the
// resource, provider informers as the export's informer scope allows (one cluster-wide, or one
// per provider namespace), and two controllers keyed by the consumer object. A permission claim
// gets the same informers and one claim controller (claim.ts), keyed by the consumer name too.
// Started and stopped by the servicebinding controller through the cluster's SyncerRegistry.
import type { Logger } from 'pino';
import * as kb from '../../apis/kubebind/types.gen.ts';
import type { KubeObject } from '../../kube/resource.ts';
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
import { isOwnProviderObject } from '../provenance.ts';
import { namedOnly } from '../../apis/kubebind/konnector-rbac.ts';
import { reconcileClaim, releaseClaims } from './claim.ts';
import { isClaimed, referencedKeys, referenceIndex } from './claims.ts';
import type { SyncObject } from './decide.ts';
import type { RunningSyncer } from './registry.ts';
import { reconcileSpec, releaseConsumerObject } from './spec.ts';
import { reconcileStatus } from './status.ts';
import { unionInformer } from './union-informer.ts';
import { namespaceMapOf } from './view.ts';
import type { ResourceSyncSettings, SyncView } from './view.ts';

export interface SyncerDeps {
  clock: Clock;
  log: Logger;
  controller: Omit<ControllerOptions, 'clock' | 'log'>;
  reflectorMetrics?: ReflectorMetrics;
  workers?: number;
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
  const providerFactory = new SharedInformerFactory({
    client: cluster.providerClient,
    ...factoryOpts,
  });
  const consumer = consumerInformer(consumerFactory, settings);
  const providerInformers = new Map<string, Informer<SyncObject>>();
  if (settings.scope.clusterWide) {
    providerInformers.set('', providerFactory.informerFor(settings.providerType));
  } else {
    for (const ns of settings.scope.namespaces) {
      providerInformers.set(ns, providerInformer(providerFactory, settings, ns));
    }
  }
  const serviceNamespaces = cluster.providerInformers.informerFor(kb.APIServiceNamespaces, {
    namespace: cluster.contractNamespace,
  });
  const claim = settings.claim;
  // Referencing objects are indexed by the keys they reference (claims.ts referenceIndex): one
  // change re-files one object, and "is this key referenced?" is a lookup per reference.
  const references = (claim?.references ?? []).map((reference) => {
    const informer = consumerFactory.informerFor(reference.type);
    const index = referenceIndex(reference.jsonPath);
    informer.addIndexer(index.name, index.fn);
    return { informer, jsonPath: reference.jsonPath, index: index.name };
  });
  const referenced = (key: string) =>
    references.some((ref) => ref.informer.lister.byIndex(ref.index, key).length > 0);
  let namespaceUID: Promise<string | undefined> | undefined;
  const view: SyncView = {
    selects: (obj, namespace) => !claim || isClaimed(obj, claim.selector, referenced, namespace),
    settings,
    cluster,
    consumer,
    serviceNamespaces,
    provider(key) {
      const informer = providerInformers.get('') ?? providerInformers.get(key.namespace ?? '');
      if (!informer) return 'unwatched';
      return informer.lister.get(namespacedKey(key.namespace, key.name));
    },
    contractNamespaceUID() {
      namespaceUID ??= cluster.providerClient
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

  /** Every consumer name a claim may have a copy under, on either side. */
  const claimKeys = () => {
    const keys = new Map<string, { namespace: string; name: string }>();
    const add = (namespace: string | undefined, name: string | undefined) => {
      if (namespace && name) keys.set(`${namespace}/${name}`, { namespace, name });
    };
    for (const obj of consumer.lister.list()) add(obj.metadata?.namespace, obj.metadata?.name);
    const map = namespaceMapOf(serviceNamespaces);
    for (const informer of providerInformers.values()) {
      for (const obj of informer.lister.list()) {
        add(map.consumerNamespace(obj.metadata?.namespace ?? ''), obj.metadata?.name);
      }
    }
    return keys.values();
  };
  const contract = cluster.contractNamespace;
  const toConsumerRefs = (obj: SyncObject) => {
    // Claimed objects: anything in a service namespace may be the provider's or a copy.
    if (!claim && !isOwnProviderObject(obj, contract)) return [];
    const { namespace, name } = obj.metadata ?? {};
    if (!name) return [];
    const ns = namespaceMapOf(serviceNamespaces);
    const key = settings.placement.toConsumer({ ...(namespace && { namespace }), name }, ns);
    return key ? [{ namespace: key.namespace, name: key.name }] : [];
  };
  const inNamespace = (sn: kb.APIServiceNamespace) => {
    const ns = sn.metadata?.name ?? '';
    const names = consumer.lister
      .byIndex(namespaceIndex, ns)
      .map((obj) => obj.metadata?.name ?? '');
    // A claim's provider objects already in the provider namespace the backend just assigned.
    const providerNs = sn.status?.namespace;
    const informer = claim && providerNs ? providerInformers.get(providerNs) : undefined;
    if (informer) names.push(...informer.lister.list().map((obj) => obj.metadata?.name ?? ''));
    return [...new Set(names)].map((name) => ({ namespace: ns, name }));
  };
  const referencedRefs = (jsonPath: { name?: string; namespace?: string }) => (obj: KubeObject) =>
    referencedKeys(obj, jsonPath).map((key) => ({ namespace: key.namespace, name: key.name }));
  const watches = () => [
    watch(consumer),
    ...[...providerInformers.values()].map((informer) => watch(informer, { map: toConsumerRefs })),
    watch(serviceNamespaces, { map: inNamespace }),
    ...references.map((ref) => watch(ref.informer, { map: referencedRefs(ref.jsonPath) })),
  ];
  const opts: ControllerOptions = { clock: deps.clock, log, ...deps.controller };
  const workers = deps.workers ?? 8;
  const spec = new Controller<Cluster>(
    {
      name: claim ? 'konnector-claims' : 'konnector-spec',
      workers,
      watches,
      reconcile: (req, ctx) =>
        claim ? reconcileClaim(view, req, ctx) : reconcileSpec(view, req, ctx),
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
  // The syncer's controllers engage on the provider cluster, through this syncer's own provider
  // informers (stopped with it) rather than the cluster's shared ones.
  const syncerProviderCluster: Cluster = {
    name: cluster.name,
    client: cluster.providerClient,
    informers: providerFactory,
  };
  consumerFactory.start();
  for (const controller of controllers) controller.start();
  const engaged = Promise.all(
    controllers.map((controller) => controller.engage(syncerProviderCluster)),
  ).catch((err: unknown) => log.debug({ err }, 'syncer stopped before its caches synced'));
  log.info({ scope: settings.scope, strategy: settings.placement.strategy }, 'syncer started');
  const stopControllers = async () => {
    await Promise.all(controllers.map((controller) => controller.stop()));
    await engaged;
  };
  return {
    hasSynced: () =>
      consumer.hasSynced() &&
      [...providerInformers.values()].every((informer) => informer.hasSynced()) &&
      references.every((ref) => ref.informer.hasSynced()),
    async release(signal) {
      await stopControllers();
      if (claim) {
        await releaseClaims(view, claimKeys(), signal, log);
        return;
      }
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
 * The provider objects of one provider namespace the syncer sees: every object of the resource,
 * or, for a claim that names its objects, those names only (watched one name at a time).
 */
function providerInformer(
  factory: SharedInformerFactory,
  settings: ResourceSyncSettings,
  namespace: string,
): Informer<SyncObject> {
  const named = settings.claim && namedOnly(settings.claim.selector);
  if (!named) return factory.informerFor(settings.providerType, { namespace });
  const names = [...new Set(named.map((n) => n.name))];
  const parts = names.map((name) =>
    factory.informerFor(settings.providerType, {
      namespace,
      fieldSelector: `metadata.name=${name}`,
    }),
  );
  return unionInformer(settings.providerType.resource, parts);
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
