// The status syncer (provider → consumer) for one consumer object: the provider copy's status
// becomes the consumer's, and the consumer records which provider object it mirrors.
import { PatchType } from '../../kube/client.ts';
import { ignoreNotFound } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { namespacedKey } from '../../runtime/cache/keys.ts';
import type { ReconcileContext } from '../../runtime/controller/controller.ts';
import type { Request } from '../../runtime/controller/request.ts';
import { isOwnProviderObject } from '../provenance.ts';
import { consumerProvenanceUpdate, consumerStatusUpdate, hasFinalizer } from './decide.ts';
import type { SyncView } from './view.ts';
import { namespaceMapOf } from './view.ts';

export async function reconcileStatus(
  view: SyncView,
  req: Request,
  { signal }: ReconcileContext,
): Promise<undefined> {
  const { settings, cluster } = view;
  const consumer = view.consumer.lister.get(namespacedKey(req.namespace, req.name));
  // Until the spec syncer holds the finalizer, a provider copy cannot be ours to mirror.
  if (!consumer || consumer.metadata?.deletionTimestamp || !hasFinalizer(consumer))
    return undefined;
  const key = { ...(req.namespace && { namespace: req.namespace }), name: req.name };
  const providerKey = settings.placement.toProvider(key, namespaceMapOf(view.serviceNamespaces));
  const provider = providerKey ? view.provider(providerKey) : undefined;
  if (!provider || provider === 'unwatched') return undefined;
  if (!isOwnProviderObject(provider, cluster.contractNamespace, consumer)) return undefined;

  const client = new ResourceClient(
    cluster.consumer.client,
    settings.consumerType,
    req.namespace || undefined,
  );
  const annotations = consumerProvenanceUpdate(consumer, provider);
  if (annotations) {
    await ignoreNotFound(
      client.patch(
        req.name,
        PatchType.merge,
        { metadata: { resourceVersion: consumer.metadata?.resourceVersion ?? '', annotations } },
        { signal },
      ),
    );
    return undefined; // the update event brings us back for the status
  }
  const next = consumerStatusUpdate(consumer, provider);
  if (!next) return undefined;
  await ignoreNotFound(
    settings.consumerStatusSubresource
      ? client.updateStatus(next, { signal })
      : client.update(next, { signal }),
  );
  return undefined;
}
