// The API server keeps objects our types do not describe: an APIServiceExport written through
// v1alpha1 is stored without `spec.resources` (v1alpha2 prunes what it lacks). Controllers skip
// such objects (an index leaves them out, a reconcile logs and stops) instead of failing on them.

/** Whether `obj.spec.resources` is a list, as every v1alpha2 export and request has. */
export function hasResources(obj: { spec?: unknown }): boolean {
  const spec = obj.spec as { resources?: unknown } | undefined;
  return Array.isArray(spec?.resources);
}
