// The bindableresourcesrequest controller (docs/controllers.md §5.7; runs only with
// --frontend-disabled): a BindableResourcesRequest provisions a consumer without the HTTP front
// door, and its kubeconfig lands, as a BindingResourceResponse, in a secret beside the request.
// Finished requests are deleted after spec.ttlAfterFinished. This file reads and writes; what to
// do is decided in decide.ts.
import type { Secret } from 'kubernetes-types/core/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Secrets } from '../../../kube/resources.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { noEvents, type EventRecorder } from '../../../runtime/events.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter, type Result } from '../../../runtime/controller/result.ts';
import type { Provisioned } from '../../binding/provisioner.ts';
import type { ConsumerIdentity } from '../../resources/consumer.ts';
import { deleteExpired } from '../delete-expired.ts';
import type { Expiry } from '../finished-ttl.ts';
import { perCluster } from '../per-cluster.ts';
import {
  decideProvisioned,
  decideRequest,
  isPending,
  type Provisioning,
  type StatusWrite,
  type TemplateLookup,
} from './decide.ts';
import { controllerRefTo } from '../../../apis/kubebind/owner.ts';

export const bindableResourcesRequestControllerName = 'kube-bind-backend-bindableresourcesrequest';

/** Provisions a consumer on `cluster` (the consumer provisioning service). */
export type ProvisionOn = (
  cluster: Cluster,
  who: ConsumerIdentity,
  signal: AbortSignal,
) => Promise<Provisioned>;

export function bindableResourcesRequestController(
  provision: ProvisionOn,
  clock: Clock,
  events: EventRecorder = noEvents,
): ControllerSpec {
  // Secrets are read directly, not cached: a cache of every secret in the cluster would cost more
  // than the one read per request.
  const informerOf = perCluster((cluster) =>
    cluster.informers.informerFor(kb.BindableResourcesRequests),
  );
  return {
    name: bindableResourcesRequestControllerName,
    watches: (cluster) => [watch(informerOf(cluster), { map: forObject() })],
    reconcile: async (req, { cluster, signal }) => {
      const request = informerOf(cluster).lister.get(namespacedKey(req.namespace, req.name));
      if (!request) return;
      const client = new ResourceClient(
        cluster.client,
        kb.BindableResourcesRequests,
        req.namespace,
      );
      const write = async ({ status, event }: StatusWrite) => {
        await patchStatusGuarded(client, request, { ...status }, signal);
        await events.event(request, event.type, event.reason, event.message);
      };

      const template = isPending(request) ? await lookUpTemplate(cluster, request, signal) : 'none';
      const decision = decideRequest(request, template, clock.now());
      if (decision.kind === 'expire') return expire(client, request, decision.expiry, signal);
      if (decision.kind === 'fail') {
        await write(decision.write);
        return;
      }

      const provisioned = await settle(provision(cluster, decision.who, signal));
      const next = decideProvisioned(request, provisioned, clock.now());
      if (next.kind === 'retry') {
        await write(next.write);
        throw next.error;
      }
      const secrets = new ResourceClient(cluster.client, Secrets, req.namespace);
      await writeResponseSecret(
        secrets,
        await ignoreNotFound(secrets.get(next.secret.name, signal)),
        request,
        next.secret,
        next.secret.value,
        signal,
      );
      await write(next.write);
      return next.requeueAfterMs === undefined ? undefined : requeueAfter(next.requeueAfterMs);
    },
  };
}

/** Whether the template a Pending request names exists (read from the server, not cached). */
async function lookUpTemplate(
  cluster: Cluster,
  request: kb.BindableResourcesRequest,
  signal: AbortSignal,
): Promise<TemplateLookup> {
  const templateName = request.spec.templateRef?.name;
  if (!templateName) return 'none';
  const templates = new ResourceClient(cluster.client, kb.APIServiceExportTemplates);
  return (await ignoreNotFound(templates.get(templateName, signal))) ? 'found' : 'missing';
}

async function settle(provisioning: Promise<Provisioned>): Promise<Provisioning> {
  try {
    return { ok: true, ...(await provisioning) };
  } catch (error) {
    return { ok: false, error };
  }
}

async function writeResponseSecret(
  secrets: ResourceClient<Secret>,
  live: Secret | undefined,
  request: kb.BindableResourcesRequest,
  ref: kb.SecretKeyRef,
  value: string,
  signal: AbortSignal,
): Promise<void> {
  const encoded = Buffer.from(value).toString('base64');
  const owner = controllerRefTo('BindableResourcesRequest', request, { blockOwnerDeletion: true });
  if (!live) {
    try {
      await secrets.create(
        { metadata: { name: ref.name, ownerReferences: [owner] }, data: { [ref.key]: encoded } },
        { signal },
      );
      return;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
  const current = live ?? (await secrets.get(ref.name, signal));
  const owned = current.metadata?.ownerReferences?.some((o) => o.uid === owner.uid);
  // Someone else's controller reference stays; ours is added as a plain owner then.
  const hasController = current.metadata?.ownerReferences?.some((o) => o.controller) ?? false;
  if (owned && current.data?.[ref.key] === encoded) return;
  await secrets.update(
    {
      ...current,
      metadata: {
        ...current.metadata,
        ownerReferences: owned
          ? (current.metadata?.ownerReferences ?? [])
          : [
              ...(current.metadata?.ownerReferences ?? []),
              { ...owner, controller: !hasController },
            ],
      },
      data: { ...current.data, [ref.key]: encoded },
    },
    { signal },
  );
}

/** Deletes a finished request once its TTL has passed; otherwise looks again then. */
async function expire(
  client: ResourceClient<kb.BindableResourcesRequest>,
  request: kb.BindableResourcesRequest,
  expiry: Expiry,
  signal: AbortSignal,
): Promise<Result | undefined> {
  if (expiry.kind === 'wait') return requeueAfter(expiry.afterMs);
  if (expiry.kind === 'delete') await deleteExpired(client, request, signal);
  return undefined;
}
