// The servicebinding controller's decisions, pure: what a binding needs (release, finalizer,
// sync), the consumer CRD a BoundSchema becomes and whether a live CRD is ours and current, what a
// CRD's state says about the BoundSchema, which claims are synced, and the binding's and the
// export's conditions from what became of each resource. The controller gathers and acts.
import { createHash } from 'node:crypto';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { isDeepStrictEqual } from '../../builtins.ts';
import type { Condition, ConditionSeverity } from '../../../apis/kubebind/conditions.ts';
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { boundSchemaSpecJson } from '../../../apis/kubebind/spec-hash.ts';
import { boundSchemaToCRD } from '../../../apis/kubebind/schema-mapping.ts';
import { isClaimable } from '../../../apis/kubebind/konnector-rbac.ts';
import type {
  APIServiceBinding,
  APIServiceBindingStatus,
  APIServiceExport,
  APIServiceExportRequest,
  BoundSchema,
  BoundSchemaStatus,
  ClusterBinding,
  PermissionClaim,
} from '../../../apis/kubebind/types.gen.ts';
import {
  ReadyCondition,
  bindingFinalizer,
  boundSchemaHashAnnotation,
  connectedCondition,
  consumerInSyncCondition,
  heartbeatingCondition,
  informersSyncedCondition,
  schemaInSyncCondition,
  secretValidCondition,
} from '../../../apis/kubebind/wire.ts';
import { hasFinalizer } from '../../finalizer-list.ts';
import { controllerRefTo } from '../../../apis/kubebind/owner.ts';

export function boundSchemaHash(bs: BoundSchema): string {
  return createHash('sha256')
    .update(bs.spec ? boundSchemaSpecJson(bs.spec) : '')
    .digest('hex')
    .slice(0, 32);
}

/** The consumer CRD of a BoundSchema, controlled by the binding (it goes with the binding). */
export function consumerCRD(bs: BoundSchema, binding: APIServiceBinding): CustomResourceDefinition {
  if (!bs.spec) throw new Error(`BoundSchema ${bs.metadata?.name ?? ''} has no spec`);
  const crd = boundSchemaToCRD(bs.spec);
  crd.metadata = {
    ...crd.metadata,
    annotations: { [boundSchemaHashAnnotation]: boundSchemaHash(bs) },
    ownerReferences: [controllerRefTo('APIServiceBinding', binding)],
  };
  return crd;
}

/** Whether the live CRD was installed for this binding (controller reference by name and UID). */
export function crdOwnedBy(crd: CustomResourceDefinition, binding: APIServiceBinding): boolean {
  const { name, uid } = binding.metadata ?? {};
  return (crd.metadata?.ownerReferences ?? []).some(
    (r) =>
      r.kind === 'APIServiceBinding' &&
      r.apiVersion.startsWith('kube-bind.io/') &&
      r.name === name &&
      r.uid === uid,
  );
}

/** The update that brings the live CRD to `desired`, or undefined when its hash matches. */
export function crdUpdate(
  live: CustomResourceDefinition,
  desired: CustomResourceDefinition,
): CustomResourceDefinition | undefined {
  const want = desired.metadata?.annotations?.[boundSchemaHashAnnotation];
  if (live.metadata?.annotations?.[boundSchemaHashAnnotation] === want) return undefined;
  return {
    ...desired,
    metadata: {
      ...live.metadata,
      annotations: { ...live.metadata?.annotations, ...desired.metadata?.annotations },
      ownerReferences: desired.metadata?.ownerReferences ?? [],
    },
  };
}

/** Whether the CRD serves its resource: Established and NamesAccepted. */
export function crdEstablished(crd: CustomResourceDefinition | undefined): boolean {
  const conds = crd?.status?.conditions ?? [];
  const isTrue = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  return isTrue('Established') && isTrue('NamesAccepted');
}

/**
 * The BoundSchema status the consumer CRD reports: its conditions (Error severity when not
 * True) with a Ready summary, accepted names and stored versions. Undefined when unchanged.
 */
export function boundSchemaStatus(
  bs: BoundSchema,
  crd: CustomResourceDefinition,
  now: number,
): BoundSchemaStatus | undefined {
  let conditions: Condition[] = [...(bs.status?.conditions ?? [])];
  for (const c of crd.status?.conditions ?? []) {
    if (c.type === ReadyCondition) continue;
    conditions =
      c.status === 'True'
        ? markTrue(conditions, c.type, now)
        : markFalse(conditions, c.type, c.reason ?? '', 'Error', c.message ?? '', now);
  }
  conditions = setSummary(conditions, now);
  const next: BoundSchemaStatus = {
    ...bs.status,
    conditions,
    ...(crd.status?.acceptedNames && { acceptedNames: crd.status.acceptedNames }),
    ...(crd.status?.storedVersions && { storedVersions: crd.status.storedVersions }),
  };
  return isDeepStrictEqual(next, bs.status ?? {}) ? undefined : next;
}

/** The first served version of a BoundSchema, preferring the storage version. */
export function syncVersion(bs: BoundSchema): string | undefined {
  const versions = bs.spec?.versions ?? [];
  return (versions.find((v) => v.storage && v.served) ?? versions.find((v) => v.served))?.name;
}

export interface BindingState {
  /** The export is missing; with the request's terminal message when it failed. */
  exportMissing?: { failedMessage?: string };
  /** CRD problems that block the binding (foreign CRD, invalid schema). */
  crdErrors: BindingError[];
  /** BoundSchemas not found, or CRDs not established yet. */
  schemasPending: string[];
  informersSynced: boolean;
  heartbeating: boolean;
}

/** The binding's conditions for `state`, with the Ready summary. */
export function bindingConditions(
  current: readonly Condition[],
  state: BindingState,
  now: number,
): Condition[] {
  let c = markTrue(current, secretValidCondition, now);
  if (state.exportMissing) {
    const failed = state.exportMissing.failedMessage;
    c = failed
      ? markFalse(c, connectedCondition, 'APIServiceExportFailed', 'Error', failed, now)
      : markFalse(
          c,
          connectedCondition,
          'APIServiceExportNotFound',
          'Error',
          'APIServiceExport not found on the service provider cluster. Rerun kubectl bind for repair.',
          now,
        );
  } else if (state.crdErrors.length > 0) {
    const first = state.crdErrors[0] ?? { reason: '', message: '' };
    c = markFalse(
      c,
      connectedCondition,
      first.reason,
      'Error',
      state.crdErrors.map((e) => e.message).join('; '),
      now,
    );
  } else {
    c = markTrue(c, connectedCondition, now);
  }
  c =
    state.exportMissing || state.schemasPending.length > 0
      ? markFalse(
          c,
          schemaInSyncCondition,
          'SchemaPending',
          'Info',
          state.exportMissing
            ? 'Waiting for the APIServiceExport.'
            : `Waiting for ${state.schemasPending.join(', ')}.`,
          now,
        )
      : markTrue(c, schemaInSyncCondition, now);
  c = state.informersSynced
    ? markTrue(c, informersSyncedCondition, now)
    : markFalse(
        c,
        informersSyncedCondition,
        'InformersSyncing',
        'Info',
        'Waiting for the informers to sync.',
        now,
      );
  c = state.heartbeating
    ? markTrue(c, heartbeatingCondition, now)
    : markFalse(
        c,
        heartbeatingCondition,
        'HeartbeatPending',
        'Info',
        'Waiting for the first heartbeat.',
        now,
      );
  return setSummary(c, now);
}

/** The export's konnector conditions: Connected and ConsumerInSync (a copy of SchemaInSync). */
export function exportConditions(
  exp: APIServiceExport,
  bindingConds: readonly Condition[],
  now: number,
): Condition[] {
  let c = markTrue(exp.status?.conditions ?? [], connectedCondition, now);
  const inSync = bindingConds.find((x) => x.type === schemaInSyncCondition);
  c =
    inSync?.status === 'True'
      ? markTrue(c, consumerInSyncCondition, now)
      : markFalse(
          c,
          consumerInSyncCondition,
          inSync?.reason || 'Unknown',
          (inSync?.severity || 'Info') as ConditionSeverity,
          inSync?.message || 'The binding has no SchemaInSync condition yet.',
          now,
        );
  return c;
}

/** What to do about one APIServiceBinding, before looking at its export. */
export type BindingAction =
  /** The binding is gone: stop its syncers. */
  | { type: 'stop-syncers' }
  /** Another provider's binding, or one already released. */
  | { type: 'none' }
  /** Deleting: delete the provider copies, drop consumer finalizers, then the binding's own. */
  | { type: 'release'; binding: APIServiceBinding }
  | { type: 'add-finalizer'; binding: APIServiceBinding }
  /** Install its CRDs, run its syncers and report. */
  | { type: 'sync'; binding: APIServiceBinding };

/** `ours`: the binding names this provider cluster's kubeconfig. */
export function decideBinding(
  binding: APIServiceBinding | undefined,
  ours: boolean,
): BindingAction {
  if (!binding) return { type: 'stop-syncers' };
  if (!ours) return { type: 'none' };
  const finalized = hasFinalizer(binding, bindingFinalizer);
  if (binding.metadata?.deletionTimestamp) {
    return finalized ? { type: 'release', binding } : { type: 'none' };
  }
  return finalized ? { type: 'sync', binding } : { type: 'add-finalizer', binding };
}

/** Why the binding cannot be Connected (foreign CRD, invalid schema, unsupported claim). */
export interface BindingError {
  reason: string;
  message: string;
}

/** What to do about the consumer CRD of one BoundSchema. */
export type CRDAction =
  | { type: 'create'; desired: CustomResourceDefinition }
  | { type: 'update'; update: CustomResourceDefinition }
  | { type: 'keep'; live: CustomResourceDefinition }
  /** A CRD of that name exists and belongs to someone else: never touched. */
  | { type: 'refuse'; error: BindingError };

export function decideCRD(
  bs: BoundSchema,
  binding: APIServiceBinding,
  live: CustomResourceDefinition | undefined,
): CRDAction {
  const desired = consumerCRD(bs, binding);
  if (!live) return { type: 'create', desired };
  if (!crdOwnedBy(live, binding)) {
    const name = desired.metadata?.name ?? '';
    return {
      type: 'refuse',
      error: {
        reason: 'ForeignCustomResourceDefinition',
        message: `CustomResourceDefinition ${name} exists and does not belong to APIServiceBinding ${binding.metadata?.name ?? ''}`,
      },
    };
  }
  const update = crdUpdate(live, desired);
  return update ? { type: 'update', update } : { type: 'keep', live };
}

/** The binding error of a CRD write the apiserver refused as invalid. */
export function crdWriteError(action: 'create' | 'update', name: string, message: string) {
  return {
    reason:
      action === 'create'
        ? 'CustomResourceDefinitionCreateFailed'
        : 'CustomResourceDefinitionUpdateFailed',
    message: `CustomResourceDefinition ${name}: ${message}`,
  } satisfies BindingError;
}

/** The consumer CRD's name for a BoundSchema: `<plural>.<group>`. */
export function crdNameOf(bs: BoundSchema): string {
  return `${bs.spec?.names.plural ?? ''}.${bs.spec?.group ?? ''}`;
}

/** What became of one bound resource or permission claim of the export in this pass. */
export type SyncOutcome =
  /** Waiting for a BoundSchema or for its CRD to be established. */
  | { type: 'pending'; waitingFor: string }
  | { type: 'failed'; error: BindingError }
  /** Its syncer runs; `synced` once its informers have synced. */
  | { type: 'syncing'; synced: boolean };

/** A permission claim's syncer, or why the konnector does not sync it. */
export function decideClaim(
  claim: PermissionClaim,
): { type: 'sync' } | { type: 'refuse'; error: BindingError } {
  if (isClaimable(claim)) return { type: 'sync' };
  return {
    type: 'refuse',
    error: {
      reason: 'UnsupportedPermissionClaim',
      message: `permission claim on ${claim.resource}.${claim.group ?? ''} is not supported (only configmaps, secrets and serviceaccounts)`,
    },
  };
}

/** Why the export is missing: its request's terminal message when the request failed. */
export function exportMissing(
  request: APIServiceExportRequest | undefined,
): NonNullable<BindingState['exportMissing']> {
  const failed = request?.status?.phase === 'Failed' ? request.status.terminalMessage : undefined;
  return failed ? { failedMessage: failed } : {};
}

/** The binding's state from what became of each resource and claim, in export order. */
export function bindingState(
  outcomes: readonly SyncOutcome[],
  heartbeating: boolean,
  missing?: BindingState['exportMissing'],
): BindingState {
  return {
    ...(missing && { exportMissing: missing }),
    crdErrors: outcomes.flatMap((o) => (o.type === 'failed' ? [o.error] : [])),
    schemasPending: outcomes.flatMap((o) => (o.type === 'pending' ? [o.waitingFor] : [])),
    informersSynced: outcomes.every((o) => o.type !== 'syncing' || o.synced),
    heartbeating,
  };
}

/** Whether to look again soon: schemas pending or informers not synced yet. */
export function stillSettling(state: BindingState): boolean {
  return state.schemasPending.length > 0 || !state.informersSynced;
}

/** The running syncers of a binding no longer wanted. */
export function staleSyncers(running: readonly string[], wanted: ReadonlySet<string>): string[] {
  return running.filter((key) => !wanted.has(key));
}

/**
 * The binding's status: its conditions, the provider's pretty name, and the export's resources
 * and claims. Undefined when unchanged.
 */
export function bindingStatus(
  binding: APIServiceBinding,
  conditions: Condition[],
  exp: APIServiceExport | undefined,
  clusterBinding: ClusterBinding | undefined,
): APIServiceBindingStatus | undefined {
  const status: APIServiceBindingStatus = {
    ...binding.status,
    providerPrettyName:
      clusterBinding?.spec.providerPrettyName ?? binding.status?.providerPrettyName ?? '',
    conditions,
    ...(exp && {
      boundSchemas: exp.spec.resources.map((r) => ({ group: r.group ?? '', resource: r.resource })),
    }),
    ...(exp?.spec.permissionClaims && { permissionClaims: exp.spec.permissionClaims }),
  };
  return isDeepStrictEqual(status, binding.status ?? {}) ? undefined : status;
}

/** The export's conditions when they change, undefined when they would not. */
export function exportConditionsUpdate(
  exp: APIServiceExport,
  bindingConds: readonly Condition[],
  now: number,
): Condition[] | undefined {
  const next = exportConditions(exp, bindingConds, now);
  return isDeepStrictEqual(next, exp.status?.conditions ?? []) ? undefined : next;
}
