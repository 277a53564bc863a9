// The servicebinding controller's decisions, pure: the consumer CRD a BoundSchema becomes, whether
// a live CRD is ours and current, what a CRD's state says about the BoundSchema, and the
// binding's conditions.
import { createHash } from 'node:crypto';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { isDeepStrictEqual } from 'node:util';
import type { Condition, ConditionSeverity } from '../../../apis/kubebind/conditions.ts';
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { boundSchemaSpecJson } from '../../../apis/kubebind/spec-hash.ts';
import { boundSchemaToCRD } from '../../../apis/kubebind/schema-mapping.ts';
import type {
  APIServiceBinding,
  APIServiceExport,
  BoundSchema,
  BoundSchemaStatus,
} from '../../../apis/kubebind/types.gen.ts';

/** On consumer CRDs: the hash of the BoundSchema spec they were made from. */
export const boundSchemaHashAnnotation = 'konnector.kube-bind.io/bound-schema-hash';
/** On APIServiceBindings: the konnector releases provider copies before a binding goes. */
export const bindingFinalizer = 'konnector.kube-bind.io/unbind';

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
    ownerReferences: [
      {
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceBinding',
        name: binding.metadata?.name ?? '',
        uid: binding.metadata?.uid ?? '',
        controller: true,
      },
    ],
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
    if (c.type === 'Ready') continue;
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
  crdErrors: { reason: string; message: string }[];
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
  let c = markTrue(current, 'SecretValid', now);
  if (state.exportMissing) {
    const failed = state.exportMissing.failedMessage;
    c = failed
      ? markFalse(c, 'Connected', 'APIServiceExportFailed', 'Error', failed, now)
      : markFalse(
          c,
          'Connected',
          'APIServiceExportNotFound',
          'Error',
          'APIServiceExport not found on the service provider cluster. Rerun kubectl bind for repair.',
          now,
        );
  } else if (state.crdErrors.length > 0) {
    const first = state.crdErrors[0] ?? { reason: '', message: '' };
    c = markFalse(
      c,
      'Connected',
      first.reason,
      'Error',
      state.crdErrors.map((e) => e.message).join('; '),
      now,
    );
  } else {
    c = markTrue(c, 'Connected', now);
  }
  c =
    state.exportMissing || state.schemasPending.length > 0
      ? markFalse(
          c,
          'SchemaInSync',
          'SchemaPending',
          'Info',
          state.exportMissing
            ? 'Waiting for the APIServiceExport.'
            : `Waiting for ${state.schemasPending.join(', ')}.`,
          now,
        )
      : markTrue(c, 'SchemaInSync', now);
  c = state.informersSynced
    ? markTrue(c, 'InformersSynced', now)
    : markFalse(
        c,
        'InformersSynced',
        'InformersSyncing',
        'Info',
        'Waiting for the informers to sync.',
        now,
      );
  c = state.heartbeating
    ? markTrue(c, 'Heartbeating', now)
    : markFalse(
        c,
        'Heartbeating',
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
  let c = markTrue(exp.status?.conditions ?? [], 'Connected', now);
  const inSync = bindingConds.find((x) => x.type === 'SchemaInSync');
  c =
    inSync?.status === 'True'
      ? markTrue(c, 'ConsumerInSync', now)
      : markFalse(
          c,
          'ConsumerInSync',
          inSync?.reason || 'Unknown',
          (inSync?.severity || 'Info') as ConditionSeverity,
          inSync?.message || 'The binding has no SchemaInSync condition yet.',
          now,
        );
  return c;
}
