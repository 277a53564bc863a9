// What RBAC cannot say about claimed objects (docs/security.md, "Smaller ones"): claimed objects
// flow both ways, so a consumer's `kube-binder` service account holds every verb on the claimed
// resources in its contract and service namespaces (decide.ts) — it writes the copies of the
// objects it owns there.
// RBAC cannot tell those from the provider's own objects in the same namespaces: a label is not
// something RBAC can match. This ValidatingAdmissionPolicy makes ownership (upstream's
// `kube-bind.io/owner` label) binding on the provider for every consumer's konnector at once:
//
// - an object labelled `kube-bind.io/owner=provider` cannot be changed or deleted by a consumer;
// - a consumer deletes only objects labelled `owner=consumer` (the copies of its own);
// - an object of the provider's without an owner label (one the provider wrote, never synced) may
//   only be labelled `owner=provider` by a consumer, its content unchanged: upstream's konnector
//   marks provider objects that way before copying them, and nothing else;
// - a consumer cannot create an object labelled `owner=provider` (it would pass for the
//   provider's); handing one of its own over (relabelling `consumer` → `provider`) stays possible.
// - The exception: a copy of the consumer's own objects, i.e. one carrying its provenance
//   (`kube-bind.io/consumer-uid`, and `kube-bind.io/cluster-namespace` naming the contract
//   namespace of the requesting `kube-binder`), stays the consumer's whatever its label says: our
//   konnector overwrites a copy someone relabelled on the provider (ownership moves only by a
//   label change on the owner's side), and deletes it on unbinding. A handover to the provider
//   drops that provenance in the same update, so what the provider took over is protected.
//
// Reading is untouched: RBAC already limits it to the consumer's own namespaces. Matched are the
// requests of service accounts named `kube-binder` (the consumer credentials the backend issues,
// one per contract namespace), on configmaps, secrets and serviceaccounts in every namespace; the
// provider's own controllers and people are never matched. kube-apiserver ≥ v1.30 serves the
// policy GA; the backend applies it at start with the CRDs (kube-bind-api.ts).
import type {
  NamedRuleWithOperations,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from 'kubernetes-types/admissionregistration/v1.js';
import type { Logger } from 'pino';
import type { KubeClient } from '../../../kube/client.ts';
import { ForbiddenError, NotFoundError } from '../../../kube/errors.ts';
import { ResourceClient, resourceType } from '../../../kube/resource.ts';
import { binderName } from '../../resources/consumer.ts';
import { managedValue } from './decide.ts';
import {
  claimableResources,
  clusterNamespaceAnnotation,
  consumerUIDAnnotation,
  managedByLabel,
  ownerLabel,
} from '../../../apis/kubebind/wire.ts';

export const providerOwnedPolicyName = 'kube-bind-provider-owned-claims';
export const policyFieldManager = 'kube-bind-ts-backend';

const admission = (resource: string, kind: string) =>
  ({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource,
    kind,
    namespaced: false,
  }) as const;
export const ValidatingAdmissionPolicies = resourceType<ValidatingAdmissionPolicy>(
  admission('validatingadmissionpolicies', 'ValidatingAdmissionPolicy'),
);
export const ValidatingAdmissionPolicyBindings = resourceType<ValidatingAdmissionPolicyBinding>(
  admission('validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding'),
);

/** The owner label of `o` ('' without one): `o` is `object` or `oldObject`, possibly null. */
const ownerOf = (o: string) =>
  `${o} != null && has(${o}.metadata.labels) && '${ownerLabel}' in ${o}.metadata.labels ` +
  `? ${o}.metadata.labels['${ownerLabel}'] : ''`;

/**
 * Whether the old object is a copy the requesting consumer made: its provenance names the
 * requester's contract namespace (the `kube-binder` service account lives there).
 */
const ownCopy =
  'oldObject != null && has(oldObject.metadata.annotations) && ' +
  `'${consumerUIDAnnotation}' in oldObject.metadata.annotations && ` +
  `'${clusterNamespaceAnnotation}' in oldObject.metadata.annotations && ` +
  "request.userInfo.username == 'system:serviceaccount:' + " +
  `oldObject.metadata.annotations['${clusterNamespaceAnnotation}'] + ':${binderName}'`;

/** The content fields of the claimable kinds; an unlabelled provider object keeps them all. */
const contentFields = [
  'data',
  'binaryData',
  'stringData',
  'type',
  'immutable',
  'secrets',
  'imagePullSecrets',
  'automountServiceAccountToken',
];
const unchanged = contentFields
  .map(
    (f) =>
      `(has(object.${f}) == has(oldObject.${f}) && (!has(object.${f}) || object.${f} == oldObject.${f}))`,
  )
  .join(' && ');

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/** The claimable kinds' writes (kubernetes-types lacks the rule's `resources` field). */
const claimableRule = {
  apiGroups: distinct(claimableResources.map((r) => r.group)),
  apiVersions: distinct(claimableResources.map((r) => r.version)),
  resources: claimableResources.map((r) => r.resource),
  operations: ['CREATE', 'UPDATE', 'DELETE'],
} as NamedRuleWithOperations;

/** The policy and its binding (Deny), labelled as the backend's. */
export function providerOwnedClaimsPolicy(): {
  policy: ValidatingAdmissionPolicy;
  binding: ValidatingAdmissionPolicyBinding;
} {
  const metadata = { name: providerOwnedPolicyName, labels: { [managedByLabel]: managedValue } };
  return {
    policy: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata,
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [claimableRule],
        },
        matchConditions: [
          {
            name: 'consumer-konnector',
            expression:
              "request.userInfo.username.startsWith('system:serviceaccount:') && " +
              `request.userInfo.username.endsWith(':${binderName}')`,
          },
        ],
        variables: [
          { name: 'oldOwner', expression: ownerOf('oldObject') },
          { name: 'newOwner', expression: ownerOf('object') },
          { name: 'ownCopy', expression: ownCopy },
        ],
        validations: [
          {
            expression: "request.operation != 'CREATE' || variables.newOwner != 'provider'",
            message: `a consumer cannot create an object labelled ${ownerLabel}=provider`,
            reason: 'Forbidden',
          },
          {
            expression:
              "request.operation == 'CREATE' || variables.oldOwner != 'provider' || variables.ownCopy",
            message:
              `the provider owns this object (${ownerLabel}=provider): ` +
              'a consumer cannot change or delete it',
            reason: 'Forbidden',
          },
          {
            expression:
              "request.operation != 'DELETE' || variables.oldOwner == 'consumer' || variables.ownCopy",
            message: `a consumer deletes only the objects it owns (${ownerLabel}=consumer)`,
            reason: 'Forbidden',
          },
          {
            expression:
              "request.operation != 'UPDATE' || variables.oldOwner != '' || variables.ownCopy || " +
              `(variables.newOwner == 'provider' && ${unchanged})`,
            message:
              "an object of the provider's without an owner label may only be labelled " +
              `${ownerLabel}=provider by a consumer, its content unchanged`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    binding: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata,
      spec: { policyName: providerOwnedPolicyName, validationActions: ['Deny'] },
    },
  };
}

/**
 * Applies the policy and its binding (server-side apply: a newer backend updates them in place).
 * Without the rights to, the backend still runs: the konnector never writes the provider's objects,
 * but nothing on the provider enforces it, and the log says so.
 */
export async function ensureProviderOwnedClaimsPolicy(
  client: KubeClient,
  log: Logger,
  signal?: AbortSignal,
): Promise<boolean> {
  const { policy, binding } = providerOwnedClaimsPolicy();
  const opts = { fieldManager: policyFieldManager, force: true, ...(signal && { signal }) };
  try {
    await new ResourceClient(client, ValidatingAdmissionPolicies).apply(policy, opts);
    await new ResourceClient(client, ValidatingAdmissionPolicyBindings).apply(binding, opts);
  } catch (err) {
    if (!(err instanceof ForbiddenError) && !(err instanceof NotFoundError)) throw err;
    log.warn(
      { err, policy: providerOwnedPolicyName },
      'cannot apply the ValidatingAdmissionPolicy that keeps consumers off provider-owned ' +
        'claimed objects; they are protected only by the konnector keeping to the ownership rules',
    );
    return false;
  }
  log.info({ policy: providerOwnedPolicyName }, 'provider-owned claimed objects policy applied');
  return true;
}
