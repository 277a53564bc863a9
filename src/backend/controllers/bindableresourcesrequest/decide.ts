// What the bindableresourcesrequest controller does with one request (docs/controllers.md §5.7),
// decided from what it read and the time passed in: a Pending request is provisioned, or fails
// when the template it names is gone; a finished one waits out spec.ttlAfterFinished. The status
// to write and the event to record come out ready-made, so the controller only acts.
import {
  kubeBindAPIVersion,
  type MetaCondition,
  type SecretKeyRef,
} from '../../../apis/kubebind/types.gen.ts';
import type * as kb from '../../../apis/kubebind/types.gen.ts';
import { parseGoDuration } from '../../../cli/duration.ts';
import { formatTime } from '../../../kube/time.ts';
import type { EventType } from '../../../runtime/events.ts';
import { ReadyCondition } from '../../../apis/kubebind/wire.ts';
import { BackendError } from '../../errors.ts';
import type { ConsumerIdentity } from '../../resources/consumer.ts';
import { expiry, type Expiry } from '../finished-ttl.ts';

/** A status to write, then an event to record about it. */
export interface StatusWrite {
  status: kb.BindableResourcesRequestStatus;
  event: { type: EventType; reason: string; message: string };
}

/** Whether the template the request names was found (`none`: it names none). */
export type TemplateLookup = 'found' | 'missing' | 'none';

export type RequestDecision =
  /** Finished: deleted once its TTL has passed. */
  | { kind: 'expire'; expiry: Expiry }
  /** Pending, but its template is gone: Failed. */
  | { kind: 'fail'; write: StatusWrite }
  | { kind: 'provision'; who: ConsumerIdentity; secretRef: SecretKeyRef };

/** The outcome of provisioning, as the provisioning service reported it. */
export type Provisioning =
  { ok: true; namespace: string; kubeconfig: string } | { ok: false; error: unknown };

export type ProvisionedDecision =
  /** The status says why; the error is thrown so the request is retried with backoff. */
  | { kind: 'retry'; write: StatusWrite; error: unknown }
  | {
      kind: 'succeeded';
      secret: SecretKeyRef & { value: string };
      write: StatusWrite;
      /** Looks again when the TTL would end (spec.ttlAfterFinished), if one is set. */
      requeueAfterMs?: number;
    };

export function isPending(request: kb.BindableResourcesRequest): boolean {
  return (request.status?.phase ?? 'Pending') === 'Pending';
}

export function decideRequest(
  request: kb.BindableResourcesRequest,
  template: TemplateLookup,
  now: number,
): RequestDecision {
  if (!isPending(request)) return { kind: 'expire', expiry: expiryOf(request, now) };
  const secretRef = responseSecretRef(request);
  if (template === 'missing') {
    const message = `APIServiceExportTemplate ${request.spec.templateRef?.name ?? ''} does not exist`;
    return {
      kind: 'fail',
      write: {
        status: {
          phase: 'Failed',
          kubeconfigSecretRef: secretRef,
          completionTime: formatTime(now),
          conditions: readyCondition(request, 'False', 'TemplateNotFound', message, now),
        },
        event: { type: 'Warning', reason: 'TemplateNotFound', message },
      },
    };
  }
  const name = request.metadata?.name ?? '';
  const who: ConsumerIdentity = {
    identity: request.spec.clusterIdentity.identity ?? '',
    author: request.spec.author,
    clusterPrettyName: request.spec.clusterIdentity.prettyName || name,
    // spec.author is whatever the request says; the namespace it was created in is what the
    // provider's RBAC vouches for (docs/security.md, "A contract namespace belongs to whoever
    // provisioned it").
    owner: { requestNamespace: request.metadata?.namespace ?? '' },
  };
  return { kind: 'provision', who, secretRef };
}

export function decideProvisioned(
  request: kb.BindableResourcesRequest,
  outcome: Provisioning,
  now: number,
): ProvisionedDecision {
  const ref = responseSecretRef(request);
  if (!outcome.ok) {
    const message = failureMessage(outcome.error);
    return {
      kind: 'retry',
      error: outcome.error,
      write: {
        status: {
          kubeconfigSecretRef: ref,
          conditions: readyCondition(request, 'False', 'HandleResourcesFailed', message, now),
        },
        event: { type: 'Warning', reason: 'HandleResourcesFailed', message },
      },
    };
  }
  const ttl = ttlOf(request);
  return {
    kind: 'succeeded',
    secret: { ...ref, value: bindingResponse(outcome.kubeconfig) },
    write: {
      status: {
        phase: 'Succeeded',
        namespace: outcome.namespace,
        kubeconfigSecretRef: ref,
        completionTime: formatTime(now),
        conditions: readyCondition(
          request,
          'True',
          'SecretReady',
          `the kubeconfig is in secret ${ref.name}, key ${ref.key}`,
          now,
        ),
      },
      event: {
        type: 'Normal',
        reason: 'Provisioned',
        message: `consumer namespace ${outcome.namespace}; kubeconfig in secret ${ref.name}`,
      },
    },
    ...(ttl !== undefined && { requeueAfterMs: ttl }),
  };
}

/** A finished request goes spec.ttlAfterFinished after its completionTime. */
export function expiryOf(request: kb.BindableResourcesRequest, now: number): Expiry {
  return expiry(request.status?.completionTime, ttlOf(request), now);
}

/** spec.ttlAfterFinished; one that does not parse is no TTL. */
function ttlOf(request: kb.BindableResourcesRequest): number | undefined {
  const text = request.spec.ttlAfterFinished;
  if (!text) return undefined;
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}

export function responseSecretRef(request: kb.BindableResourcesRequest): SecretKeyRef {
  const given = request.spec.kubeconfigSecretRef;
  if (given?.name) return { name: given.name, key: given.key || 'kubeconfig' };
  return { name: `${request.metadata?.name ?? ''}-binding-response`, key: 'binding-response' };
}

/** A backend error with its details (e.g. how to get access to a namespace someone else owns). */
function failureMessage(err: unknown): string {
  if (err instanceof BackendError)
    return err.details ? `${err.message}: ${err.details}` : err.message;
  return String(err);
}

function readyCondition(
  request: kb.BindableResourcesRequest,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: number,
): MetaCondition[] {
  const observedGeneration = request.metadata?.generation ?? 0;
  return setMetaCondition(
    request.status?.conditions ?? [],
    { type: ReadyCondition, status, reason, message, observedGeneration },
    now,
  );
}

// BindableResourcesRequest uses metav1.Condition (unlike the other kinds): the transition time
// moves only when the status changes, and observedGeneration says which spec was seen.
export function setMetaCondition(
  conditions: readonly MetaCondition[],
  next: Omit<MetaCondition, 'lastTransitionTime'>,
  now: number,
): MetaCondition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : formatTime(now);
  const updated = { ...next, lastTransitionTime };
  return [...conditions.filter((c) => c.type !== next.type), updated];
}

/** The BindingResourceResponse the secret carries (docs/protocol.md §5.2), kubeconfig only. */
export function bindingResponse(kubeconfig: string): string {
  return JSON.stringify({
    apiVersion: kubeBindAPIVersion,
    kind: 'BindingResourceResponse',
    authentication: { oauth2CodeGrant: null },
    kubeconfig: Buffer.from(kubeconfig).toString('base64'),
    requests: null,
  });
}
