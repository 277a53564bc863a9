// What the serviceexport controller wants for one export (docs/controllers.md §5.3), decided
// from cached state: every BoundSchema the export names must exist; the export's
// `kube-bind.io/source-spec-hash` annotation must be the hash of their specs, in the export's
// resource order; then `ProviderInSync` is True.
import { resourceGroupName } from '../../../apis/kubebind/group-resource.ts';
import { sourceSpecHashOf } from '../../../apis/kubebind/spec-hash.ts';
import type { APIServiceExport, BoundSchema } from '../../../apis/kubebind/types.gen.ts';
import { sourceSpecHashAnnotation } from '../../../apis/kubebind/wire.ts';

export type ExportDecision =
  | { kind: 'missing-schemas'; message: string }
  | { kind: 'set-hash'; hash: string }
  | { kind: 'in-sync' };

/** The BoundSchema names an export needs, in its resource order. */
export function boundSchemaNames(exp: APIServiceExport): string[] {
  return exp.spec.resources.map(resourceGroupName);
}

export function decideExport(
  exp: APIServiceExport,
  schemaByName: (name: string) => BoundSchema | undefined,
): ExportDecision {
  const names = boundSchemaNames(exp);
  const schemas = names.map(schemaByName);
  const missing = names.filter((_, i) => !schemas[i]?.spec);
  if (missing.length > 0) {
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
