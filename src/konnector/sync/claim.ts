// The claim syncer for one claimed name (consumer namespace/name): reads the consumer and provider
// objects from the caches, asks decideClaim (claim-decide.ts) who owns them and what to do, and
// does it: one create, update or delete per pass; the write's own event brings the name back for
// the next step. Also releases the copies on unbind: each copy on the side that does not own it.
import { AlreadyExistsError, NotFoundError } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { namespacedKey } from '../../runtime/cache/keys.ts';
import type { ReconcileContext } from '../../runtime/controller/controller.ts';
import type { Request } from '../../runtime/controller/request.ts';
import type { Result } from '../../runtime/controller/result.ts';
import { requeueAfter } from '../../runtime/controller/result.ts';
import type { ClaimAction, ClaimState, Side } from './claim-decide.ts';
import { ownerLabel } from '../../apis/kubebind/wire.ts';
import { decideClaim, decideRelease } from './claim-decide.ts';
import type { SyncObject } from './decide.ts';
import type { SyncView } from './view.ts';
import { namespaceMapOf } from './view.ts';
import { ensureServiceNamespace } from './spec.ts';

/** How soon to look again while the backend assigns a provider namespace. */
const namespaceWaitMs = 1_000;

/** The two objects of a claimed consumer name, or why they cannot be read yet. */
type Gathered =
  | { state: ClaimState }
  | { wait: 'namespace'; consumer: SyncObject | undefined }
  | { wait: 'unwatched' };

function gather(view: SyncView, consumerNamespace: string, name: string): Gathered {
  const { settings, cluster } = view;
  const consumer = view.consumer.lister.get(namespacedKey(consumerNamespace, name));
  const providerNamespace = namespaceMapOf(view.serviceNamespaces).providerNamespace(
    consumerNamespace,
  );
  if (!providerNamespace) return { wait: 'namespace', consumer };
  const provider = view.provider({ namespace: providerNamespace, name });
  if (provider === 'unwatched') return { wait: 'unwatched' };
  const selects = (obj: SyncObject | undefined) => !!obj && view.selects(obj, consumerNamespace);
  return {
    state: {
      consumer,
      provider,
      contractNamespace: cluster.contractNamespace,
      consumerNamespace,
      providerNamespace,
      apiVersion: 'v1',
      kind: settings.consumerType.kind,
      consumerSelected: selects(consumer),
      providerSelected: selects(provider),
    },
  };
}

export async function reconcileClaim(
  view: SyncView,
  req: Request,
  { signal, log }: ReconcileContext,
): Promise<Result | undefined> {
  const consumerNamespace = req.namespace;
  const g = gather(view, consumerNamespace, req.name);
  if ('wait' in g) {
    if (g.wait === 'unwatched') return requeueAfter(namespaceWaitMs); // the syncer restarts
    // No provider namespace yet: only a consumer's own object needs one (a provider's object
    // always has one: that is where it was found).
    const c = g.consumer;
    if (
      c &&
      !c.metadata?.deletionTimestamp &&
      c.metadata?.labels?.[ownerLabel] !== 'provider' &&
      view.selects(c, consumerNamespace)
    ) {
      await ensureServiceNamespace(view, consumerNamespace, signal);
      return requeueAfter(namespaceWaitMs);
    }
    return undefined;
  }
  const action = decideClaim(g.state);
  if (action.action === 'conflict') {
    log.info({ provider: g.state.providerNamespace }, 'claimed object exists on both sides');
    if (g.state.consumer) {
      await view.cluster.consumer.events.event(
        g.state.consumer,
        'Warning',
        'ClaimedObjectConflict',
        `${g.state.providerNamespace}/${req.name} exists on the provider too, and neither is ` +
          `labelled ${ownerLabel}; not syncing`,
      );
    }
    return undefined;
  }
  return act(view, g.state, action, signal, log);
}

async function act(
  view: SyncView,
  state: ClaimState,
  a: ClaimAction,
  signal: AbortSignal,
  log: ReconcileContext['log'],
): Promise<Result | undefined> {
  if (a.action === 'none' || a.action === 'conflict') return undefined;
  const client = clientFor(view, state, a.side);
  const where = { side: a.side, namespace: namespaceOn(state, a.side) };
  switch (a.action) {
    case 'create':
      try {
        await client.create(a.object, { signal });
        log.info(where, 'created the claimed copy');
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        return requeueAfter(namespaceWaitMs); // our informer has not seen it yet
      }
      return undefined;
    case 'update':
      try {
        await client.update(a.object, { signal });
        log.debug(where, 'updated the claimed copy');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return undefined;
    case 'delete':
      try {
        await client.delete(a.name, { ...(a.uid && { preconditions: { uid: a.uid } }), signal });
        log.info(where, 'deleted the claimed copy');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return undefined;
  }
}

function namespaceOn(state: ClaimState, side: Side): string {
  return side === 'consumer' ? state.consumerNamespace : state.providerNamespace;
}

function clientFor(view: SyncView, state: ClaimState, side: Side): ResourceClient<SyncObject> {
  const { cluster, settings } = view;
  return side === 'consumer'
    ? new ResourceClient(cluster.consumer.client, settings.consumerType, state.consumerNamespace)
    : new ResourceClient(cluster.providerClient, settings.providerType, state.providerNamespace);
}

/**
 * Unbinding: deletes every copy on the side that does not own it, for the given consumer keys
 * (every consumer object and every provider object mapped to its consumer namespace).
 */
export async function releaseClaims(
  view: SyncView,
  keys: Iterable<{ namespace: string; name: string }>,
  signal: AbortSignal,
  log: ReconcileContext['log'],
): Promise<void> {
  for (const key of keys) {
    const g = gather(view, key.namespace, key.name);
    if ('wait' in g) continue;
    await act(view, g.state, decideRelease(g.state), signal, log);
  }
}
