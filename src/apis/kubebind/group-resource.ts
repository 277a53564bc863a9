// How kube-bind names a group and resource (docs/controllers.md §1.3). Two forms exist and both
// are on the wire: BoundSchemas are named `<resource>.<groupOrCore>` (`secrets.core`), while the
// plain string form leaves a trailing dot for the core group (`secrets.`).

export interface GroupResourceRef {
  group?: string;
  resource: string;
}

/** `<resource>.<group>`, with `core` for the empty group: the name of a BoundSchema. */
export function resourceGroupName(gr: GroupResourceRef): string {
  return `${gr.resource}.${gr.group || 'core'}`;
}

/** `<resource>.<group>` as Go's GroupResource.String(): `secrets.` for the core group. */
export function groupResourceString(gr: GroupResourceRef): string {
  return `${gr.resource}.${gr.group ?? ''}`;
}

/** The CRD name of a group and plural: `<plural>.<group>` (CRDs never have the core group). */
export function crdName(group: string, plural: string): string {
  return `${plural}.${group}`;
}

/** Whether two references name the same group and resource (a missing group is the core group). */
export function sameGroupResource(a: GroupResourceRef, b: GroupResourceRef): boolean {
  return a.resource === b.resource && (a.group ?? '') === (b.group ?? '');
}
