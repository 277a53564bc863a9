// Which APIBinding a generated APIServiceExportTemplate belongs to: the apibindingtemplate
// controller writes templates for bindings, and the apiresourceschema controller follows them back
// to their binding. Both index templates by it under one name, so they share these two.
import type { APIServiceExportTemplate } from '../../../apis/kubebind/types.gen.ts';
import { ownerBindingAnnotation } from '../../../apis/kubebind/wire.ts';

/** Generated templates by the binding named in their owner-binding annotation. */
export const templatesByBindingIndex = 'templatesByOwnerBinding';

/** The binding a template was generated for, if it was. */
export function ownerBinding(template: APIServiceExportTemplate): string | undefined {
  return template.metadata?.annotations?.[ownerBindingAnnotation] || undefined;
}
