// What the serviceexport controller wants for one export (docs/controllers.md §5.3), decided
// from cached state: every BoundSchema the export names must exist; the export's
// `kube-bind.io/source-spec-hash` annotation must be the hash of their specs, in the export's
// resource order; then `ProviderInSync` is True.
import { markFalse, markTrue, type Condition } from '../../../apis/kubebind/conditions.ts';
import { resourceGroupName } from '../../../apis/kubebind/group-resource.ts';
import { sourceSpecHashOf } from '../../../apis/kubebind/spec-hash.ts';
import type { APIServiceExport, BoundSchema } from '../../../apis/kubebind/types.gen.ts';
import { providerInSyncCondition, sourceSpecHashAnnotation } from '../../../apis/kubebind/wire.ts';

export type ExportDecision =
  | { kind: 'missing-schemas'; message: string }
  | { kind: 'await-schemas'; afterMs: number }
  | { kind: 'set-hash'; hash: string }
  | { kind: 'in-sync' };

/** The BoundSchema names an export needs, in its resource order. */
export function boundSchemaNames(exp: APIServiceExport): string[] {
  return exp.spec.resources.map(resourceGroupName);
}

/**
 * How long a new export's missing BoundSchemas are awaited before `ProviderInSync=False` is
 * written: the serviceexportrequest controller creates the export first and its BoundSchemas right
 * after (so that they are owned by it from their first write); reporting them missing in between
 * would cost two status writes and show a false alarm.
 */
export const missingSchemaGraceMs = 5_000;

export function decideExport(
  exp: APIServiceExport,
  schemaByName: (name: string) => BoundSchema | undefined,
  nowMs: number,
): ExportDecision {
  const names = boundSchemaNames(exp);
  const schemas = names.map(schemaByName);
  const missing = names.filter((_, i) => !schemas[i]?.spec);
  if (missing.length > 0) {
    const created = Date.parse(exp.metadata?.creationTimestamp ?? '');
    const age = nowMs - created;
    // A BoundSchema's arrival wakes the export anyway; the requeue is for one that never comes.
    if (age >= 0 && age < missingSchemaGraceMs) {
      return { kind: 'await-schemas', afterMs: missingSchemaGraceMs - age };
    }
    const list = missing.join(', ');
    return {
      kind: 'missing-schemas',
      message: `BoundSchema${missing.length > 1 ? 's' : ''} ${list} not found in ${exp.metadata?.namespace ?? ''}`,
    };
  }
  const hash = sourceSpecHashOf(schemas.flatMap((s) => (s?.spec ? [s.spec] : [])));
  if (exp.metadata?.annotations?.[sourceSpecHashAnnotation] !== hash)
    return { kind: 'set-hash', hash };
  return { kind: 'in-sync' };
}

/** A decision that is reported in the export's status. */
export type ReportedDecision = Extract<ExportDecision, { kind: 'in-sync' | 'missing-schemas' }>;

/**
 * The export's conditions after a decision to report: `ProviderInSync` True when in sync, False
 * (reason `BoundSchemaMissing`) naming the missing BoundSchemas otherwise. The other conditions
 * are kept; the controller writes the result when it differs from what it read.
 */
export function exportConditions(
  exp: APIServiceExport,
  decision: ReportedDecision,
  nowMs: number,
): Condition[] {
  const current = exp.status?.conditions ?? [];
  return decision.kind === 'in-sync'
    ? markTrue(current, providerInSyncCondition, nowMs)
    : markFalse(
        current,
        providerInSyncCondition,
        'BoundSchemaMissing',
        'Error',
        decision.message,
        nowMs,
      );
}
