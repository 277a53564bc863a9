// The bindableresourcesrequest controller (spec controllers.md §5.7; runs only with
// --frontend-disabled): a BindableResourcesRequest provisions a consumer without the HTTP front
// door, and its kubeconfig lands, as a BindingResourceResponse, in a secret beside the request.
// Finished requests are deleted after spec.ttlAfterFinished.
import type { Secret } from 'kubernetes-types/core/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { PatchType } from '../../../kube/client.ts';
import { AlreadyExistsError, ignoreNotFound, NotFoundError } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Secrets } from '../../../kube/resources.ts';
import { formatTime } from '../../../kube/time.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { noEvents, type EventRecorder } from '../../../runtime/events.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter, type Result } from '../../../runtime/controller/result.ts';
import type { Provisioned } from '../../binding/provisioner.ts';
import { BackendError } from '../../errors.ts';
import type { ConsumerIdentity } from '../../resources/consumer.ts';
import { parseGoDuration } from '../../../cli/duration.ts';
import { perCluster } from '../per-cluster.ts';
import { bindingResponse, setMetaCondition } from './status.ts';

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
      const phase = request.status?.phase ?? 'Pending';
      if (phase !== 'Pending') return expire(client, request, clock, signal);

      const ref = responseSecretRef(request);
      const write = (status: kb.BindableResourcesRequestStatus) =>
        client.patch(
          req.name,
          PatchType.merge,
          { metadata: { resourceVersion: request.metadata?.resourceVersion }, status },
          { subresource: 'status', signal },
        );
      const condition = (status: 'True' | 'False', reason: string, message: string) =>
        setMetaCondition(
          request.status?.conditions ?? [],
          {
            type: 'Ready',
            status,
            reason,
            message,
            observedGeneration: request.metadata?.generation ?? 0,
          },
          clock.now(),
        );
      const finished = () => formatTime(clock.now());

      const templateName = request.spec.templateRef?.name;
      if (templateName) {
        const template = await ignoreNotFound(
          new ResourceClient(cluster.client, kb.APIServiceExportTemplates).get(
            templateName,
            signal,
          ),
        );
        if (!template) {
          await write({
            phase: 'Failed',
            kubeconfigSecretRef: ref,
            completionTime: finished(),
            conditions: condition(
              'False',
              'TemplateNotFound',
              `APIServiceExportTemplate ${templateName} does not exist`,
            ),
          });
          await events.event(
            request,
            'Warning',
            'TemplateNotFound',
            `APIServiceExportTemplate ${templateName} does not exist`,
          );
          return;
        }
      }
      let provisioned: Provisioned;
      try {
        provisioned = await provision(
          cluster,
          {
            identity: request.spec.clusterIdentity.identity ?? '',
            author: request.spec.author,
            clusterPrettyName: request.spec.clusterIdentity.prettyName || req.name,
            // spec.author is whatever the request says; the namespace it was created in is
            // what the provider's RBAC vouches for (issue 16, item 4).
            owner: { requestNamespace: req.namespace },
          },
          signal,
        );
      } catch (err) {
        const message = failureMessage(err);
        await write({
          kubeconfigSecretRef: ref,
          conditions: condition('False', 'HandleResourcesFailed', message),
        });
        await events.event(request, 'Warning', 'HandleResourcesFailed', message);
        throw err;
      }
      const secrets = new ResourceClient(cluster.client, Secrets, req.namespace);
      await writeResponseSecret(
        secrets,
        await ignoreNotFound(secrets.get(ref.name, signal)),
        request,
        ref,
        bindingResponse(provisioned.kubeconfig),
        signal,
      );
      await write({
        phase: 'Succeeded',
        namespace: provisioned.namespace,
        kubeconfigSecretRef: ref,
        completionTime: finished(),
        conditions: condition(
          'True',
          'SecretReady',
          `the kubeconfig is in secret ${ref.name}, key ${ref.key}`,
        ),
      });
      await events.event(
        request,
        'Normal',
        'Provisioned',
        `consumer namespace ${provisioned.namespace}; kubeconfig in secret ${ref.name}`,
      );
      return ttlOf(request) === undefined ? undefined : requeueAfter(ttlOf(request) ?? 0);
    },
  };
}

/** A backend error with its details (e.g. how to get access to a namespace someone else owns). */
function failureMessage(err: unknown): string {
  if (err instanceof BackendError)
    return err.details ? `${err.message}: ${err.details}` : err.message;
  return String(err);
}

function responseSecretRef(request: kb.BindableResourcesRequest): { name: string; key: string } {
  const given = request.spec.kubeconfigSecretRef;
  if (given?.name) return { name: given.name, key: given.key || 'kubeconfig' };
  return { name: `${request.metadata?.name ?? ''}-binding-response`, key: 'binding-response' };
}

async function writeResponseSecret(
  secrets: ResourceClient<Secret>,
  live: Secret | undefined,
  request: kb.BindableResourcesRequest,
  ref: { name: string; key: string },
  value: string,
  signal: AbortSignal,
): Promise<void> {
  const encoded = Buffer.from(value).toString('base64');
  const owner = {
    apiVersion: 'kube-bind.io/v1alpha2',
    kind: 'BindableResourcesRequest',
    name: request.metadata?.name ?? '',
    uid: request.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
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

function ttlOf(request: kb.BindableResourcesRequest): number | undefined {
  const text = request.spec.ttlAfterFinished;
  if (!text) return undefined;
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}

/** Deletes a finished request once its TTL has passed; otherwise looks again then. */
async function expire(
  client: ResourceClient<kb.BindableResourcesRequest>,
  request: kb.BindableResourcesRequest,
  clock: Clock,
  signal: AbortSignal,
): Promise<Result | undefined> {
  const ttl = ttlOf(request);
  const completed = Date.parse(request.status?.completionTime ?? '');
  if (ttl === undefined || Number.isNaN(completed)) return undefined;
  const remaining = completed + ttl - clock.now();
  if (remaining > 0) return requeueAfter(remaining);
  try {
    await client.delete(request.metadata?.name ?? '', {
      preconditions: { uid: request.metadata?.uid ?? '' },
      signal,
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  return undefined;
}
