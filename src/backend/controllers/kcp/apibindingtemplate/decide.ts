// The decisions of the apibindingtemplate controller (docs/controllers.md §6.4): which APIBindings
// become templates, and what those templates say. A workspace that binds a provider's APIExport
// offers what it bound: one APIServiceExportTemplate per scope, `<binding>-namespaced` and
// `<binding>-cluster`, listing the bound resources with their served versions. The templates carry
// an annotation naming the binding and a (non-controller) owner reference to it, so they go with it.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type {
  APIBinding,
  APIResourceSchema,
  BoundAPIResource,
} from '../../../../apis/kubebind/kcp.ts';
import {
  informerScopeValues,
  type APIServiceExportResource,
  type APIServiceExportTemplate,
} from '../../../../apis/kubebind/types.gen.ts';
import { ownerBindingAnnotation } from '../../../../apis/kubebind/wire.ts';
import { sameContent } from '../../same.ts';
import { ownerBinding } from '../template-owner.ts';

type Scope = APIServiceExportTemplate['spec']['scope'];

/** Every template scope, namespaced first: the order in which a binding's templates are made. */
const scopesInOrder: readonly Scope[] = [...informerScopeValues].sort(
  (a, b) => Number(a === 'Cluster') - Number(b === 'Cluster'),
);

/** Why a binding gets no templates, or undefined when it does. */
export function skipReason(
  binding: APIBinding,
  ignorePrefixes: readonly string[],
): string | undefined {
  const name = binding.metadata?.name ?? '';
  const prefix = ignorePrefixes.find((p) => p !== '' && name.startsWith(p));
  if (prefix !== undefined) return `its name starts with the ignored prefix ${prefix}`;
  if (binding.status?.phase !== 'Bound')
    return `it is not Bound (phase ${binding.status?.phase ?? 'unset'})`;
  if ((binding.status.boundResources ?? []).length === 0) return 'it binds no resources yet';
  return undefined;
}

/** A bound resource with what its schema says. */
export interface ResolvedResource {
  group: string;
  resource: string;
  scope: Scope;
  /** The served versions, in the schema's order. */
  versions: string[];
}

export function resolveResource(
  bound: BoundAPIResource,
  schema: APIResourceSchema,
): ResolvedResource {
  return {
    group: bound.group,
    resource: bound.resource,
    scope: schema.spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced',
    versions: schema.spec.versions.filter((v) => v.served).map((v) => v.name),
  };
}

export function templateName(binding: string, scope: Scope): string {
  return `${binding}-${scope === 'Cluster' ? 'cluster' : 'namespaced'}`;
}

/** Points at the binding without controlling the template: the GC deletes it with the binding. */
export function bindingOwnerRef(binding: APIBinding): OwnerReference {
  return {
    apiVersion: 'apis.kcp.io/v1alpha2',
    kind: 'APIBinding',
    name: binding.metadata?.name ?? '',
    uid: binding.metadata?.uid ?? '',
  };
}

/** The templates a Bound binding wants, one per scope that has resources (namespaced first). */
export function desiredTemplates(
  binding: APIBinding,
  resources: readonly ResolvedResource[],
): APIServiceExportTemplate[] {
  const name = binding.metadata?.name ?? '';
  return scopesInOrder.flatMap((scope) => {
    const inScope = resources.filter((r) => r.scope === scope);
    if (inScope.length === 0) return [];
    return [
      {
        metadata: {
          name: templateName(name, scope),
          annotations: { [ownerBindingAnnotation]: name },
          ownerReferences: [bindingOwnerRef(binding)],
        },
        spec: {
          scope,
          resources: inScope.map((r): APIServiceExportResource => ({
            group: r.group,
            resource: r.resource,
            versions: [...r.versions],
          })),
        },
      },
    ];
  });
}

/**
 * What to write to bring a live template to `desired`, or undefined if it is there. Only what the
 * controller generates is replaced (scope, resources, the annotation, the owner reference); a
 * description, claims or namespaces a provider added to a generated template are kept.
 */
export function templateUpdate(
  live: APIServiceExportTemplate,
  desired: APIServiceExportTemplate,
): APIServiceExportTemplate | undefined {
  const ours = desired.metadata?.ownerReferences?.[0];
  const binding = desired.metadata?.annotations?.[ownerBindingAnnotation] ?? '';
  const refs = live.metadata?.ownerReferences ?? [];
  const upToDate =
    live.spec.scope === desired.spec.scope &&
    sameContent(live.spec.resources, desired.spec.resources) &&
    ownerBinding(live) === binding &&
    refs.some((r) => r.uid === ours?.uid && r.kind === ours.kind);
  if (upToDate) return undefined;
  // A binding of the same name made anew has another uid: its old reference goes.
  const others = refs.filter((r) => !(r.kind === 'APIBinding' && r.name === ours?.name));
  return {
    ...live,
    metadata: {
      ...live.metadata,
      annotations: { ...live.metadata?.annotations, [ownerBindingAnnotation]: binding },
      ownerReferences: [...others, ...(ours ? [ours] : [])],
    },
    spec: { ...live.spec, scope: desired.spec.scope, resources: desired.spec.resources },
  };
}

/** The templates generated for a binding that it no longer wants. */
export function staleTemplates(
  generated: readonly APIServiceExportTemplate[],
  desired: readonly APIServiceExportTemplate[],
): APIServiceExportTemplate[] {
  const wanted = new Set(desired.map((t) => t.metadata?.name));
  return generated.filter((t) => !wanted.has(t.metadata?.name));
}
