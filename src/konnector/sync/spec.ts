// The spec syncer (consumer → provider) for one consumer object: keep the finalizer while a
// provider copy may exist, create or update the copy where the placement puts it, delete it when
// the consumer object goes, and delete provider copies whose consumer object is gone (also those
// missed while the konnector was down: every provider object of ours maps back to a request).
import * as kb from '../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, NotFoundError } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { namespacedKey } from '../../runtime/cache/keys.ts';
import type { ReconcileContext } from '../../runtime/controller/controller.ts';
import type { Request } from '../../runtime/controller/request.ts';
import type { Result } from '../../runtime/controller/result.ts';
import { requeueAfter } from '../../runtime/controller/result.ts';
import type { ObjectKey } from '../placement.ts';
import { downstreamFinalizer } from '../../apis/kubebind/wire.ts';
import { isOwnProviderObject, readProviderProvenance } from '../provenance.ts';
import type { SyncObject } from './decide.ts';
import { desiredProviderObject, hasFinalizer, providerUpdate } from './decide.ts';
import { patchFinalizer } from './finalizer.ts';
import type { SyncView } from './view.ts';
import { namespaceMapOf } from './view.ts';

/** How soon to look again while the backend assigns a provider namespace. */
const namespaceWaitMs = 1_000;

export async function reconcileSpec(
  view: SyncView,
  req: Request,
  { signal, log }: ReconcileContext,
): Promise<Result | undefined> {
  const { settings, cluster } = view;
  const key: ObjectKey = { ...(req.namespace && { namespace: req.namespace }), name: req.name };
  const consumer = view.consumer.lister.get(namespacedKey(req.namespace, req.name));
  const namespaces = namespaceMapOf(view.serviceNamespaces);
  const consumerClient = new ResourceClient(
    cluster.consumer.client,
    settings.consumerType,
    req.namespace || undefined,
  );

  if (!consumer || consumer.metadata?.deletionTimestamp || !view.selects(consumer)) {
    await releaseConsumerObject(view, key, consumer, signal);
    return undefined;
  }

  // Go on in the same pass: waiting for the finalizer's update event to come round the queue
  // would put every new object behind the whole backlog (measured in bench/konnector.ts).
  if (!hasFinalizer(consumer)) {
    const updated = await patchFinalizer(
      consumerClient,
      consumer,
      downstreamFinalizer,
      true,
      signal,
    );
    if (!updated) return undefined; // deleted meanwhile
  }

  const providerKey = settings.placement.toProvider(key, namespaces);
  if (!providerKey) {
    await ensureServiceNamespace(view, req.namespace, signal);
    return requeueAfter(namespaceWaitMs);
  }
  const provider = view.provider(providerKey);
  if (provider === 'unwatched') {
    // The syncer restarts with an informer for this namespace; look again then.
    return requeueAfter(namespaceWaitMs);
  }
  const desired = await desiredObject(view, consumer, providerKey);
  const providerClient = new ResourceClient(
    cluster.providerClient,
    settings.providerType,
    providerKey.namespace,
  );
  if (!provider) {
    try {
      await providerClient.create(desired, { signal });
      log.info({ provider: providerKey }, 'created the provider copy');
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      return requeueAfter(namespaceWaitMs); // our informer has not seen it yet
    }
    return undefined;
  }
  if (!isOwnProviderObject(provider, cluster.contractNamespace)) {
    await cluster.consumer.events.event(
      consumer,
      'Warning',
      'ProviderObjectConflict',
      `${describe(providerKey)} on the provider belongs to another consumer; not syncing`,
    );
    return undefined;
  }
  const update = providerUpdate(provider, desired);
  if (update) {
    await providerClient.update(update, { signal });
    log.debug({ provider: providerKey }, 'updated the provider copy');
  }
  return undefined;
}

/** The provider copy of `consumer`. */
async function desiredObject(
  view: SyncView,
  consumer: SyncObject,
  key: ObjectKey,
): Promise<SyncObject> {
  const { settings, cluster } = view;
  return desiredProviderObject(consumer, {
    key,
    apiVersion: apiVersion(settings.providerType),
    kind: settings.providerType.kind,
    contractNamespace: cluster.contractNamespace,
    strategy: settings.placement.strategy,
    contractNamespaceUID: await view.contractNamespaceUID(),
  });
}

/**
 * Deletes the provider copy of the consumer object at `key` (gone, deleting, or being unbound),
 * then drops the consumer object's finalizer.
 */
export async function releaseConsumerObject(
  view: SyncView,
  key: ObjectKey,
  consumer: SyncObject | undefined,
  signal: AbortSignal,
): Promise<void> {
  const providerKey = view.settings.placement.toProvider(
    key,
    namespaceMapOf(view.serviceNamespaces),
  );
  const provider = providerKey ? view.provider(providerKey) : undefined;
  if (
    providerKey &&
    provider &&
    provider !== 'unwatched' &&
    ownedBy(provider, view, key, consumer)
  ) {
    await deleteProvider(view, providerKey, provider, signal);
  }
  if (consumer && hasFinalizer(consumer)) {
    const client = new ResourceClient(
      view.cluster.consumer.client,
      view.settings.consumerType,
      key.namespace,
    );
    await patchFinalizer(client, consumer, downstreamFinalizer, false, signal);
  }
}

/** Whether `provider` is the copy of the consumer object at `key` (live or gone). */
function ownedBy(
  provider: SyncObject,
  view: SyncView,
  key: ObjectKey,
  consumer?: SyncObject,
): boolean {
  if (consumer) return isOwnProviderObject(provider, view.cluster.contractNamespace, consumer);
  const p = readProviderProvenance(provider);
  return (
    p?.clusterNamespace === view.cluster.contractNamespace &&
    (p.consumerNamespace ?? '') === (key.namespace ?? '')
  );
}

async function deleteProvider(
  view: SyncView,
  key: ObjectKey,
  provider: SyncObject,
  signal: AbortSignal,
): Promise<void> {
  const client = new ResourceClient(
    view.cluster.providerClient,
    view.settings.providerType,
    key.namespace,
  );
  const uid = provider.metadata?.uid;
  try {
    await client.delete(key.name, { ...(uid && { preconditions: { uid } }), signal });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/**
 * Asks the backend for a provider namespace for `consumerNamespace`: an APIServiceNamespace of
 * that name in the contract namespace, controlled by the export (so it goes with the export).
 */
export async function ensureServiceNamespace(
  view: Pick<SyncView, 'cluster' | 'serviceNamespaces' | 'settings'>,
  consumerNamespace: string,
  signal: AbortSignal,
): Promise<void> {
  const { cluster, settings } = view;
  if (
    view.serviceNamespaces.lister.get(namespacedKey(cluster.contractNamespace, consumerNamespace))
  ) {
    return;
  }
  const exp = settings.export.metadata ?? {};
  const sn: kb.APIServiceNamespace = {
    apiVersion: kb.kubeBindAPIVersion,
    kind: 'APIServiceNamespace',
    metadata: {
      name: consumerNamespace,
      namespace: cluster.contractNamespace,
      ...(exp.uid && {
        ownerReferences: [
          {
            apiVersion: kb.kubeBindAPIVersion,
            kind: 'APIServiceExport',
            name: exp.name ?? '',
            uid: exp.uid,
            controller: true,
          },
        ],
      }),
    },
    spec: {},
  };
  try {
    await new ResourceClient(
      cluster.providerClient,
      kb.APIServiceNamespaces,
      cluster.contractNamespace,
    ).create(sn, {
      signal,
    });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

function apiVersion(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

function describe(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}
