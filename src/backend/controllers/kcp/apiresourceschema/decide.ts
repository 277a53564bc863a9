// The decisions of the apiresourceschema controller (docs/controllers.md §6.4): a template
// generated from an APIBinding gets local, labelled copies of the APIResourceSchemas behind its
// resources, so that with `--schema-source=apiresourceschemas` the serviceexportrequest controller
// finds them. A copy has the source's name and spec, the label `kube-bind.io/exported=true` and a
// non-controller owner reference to the template (it goes with the template).
//
// A schema that already exists in the workspace under that name is either our copy or, when the
// workspace binds an export of its own, the original. An original is only labelled, never owned:
// deleting the template must not delete the provider's schema. Specs are not compared: schemas
// are immutable, and one name is one content.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { APIBinding, APIResourceSchema } from '../../../../apis/kubebind/kcp.ts';
import {
  APIServiceExportTemplates,
  kubeBindAPIVersion,
  type APIServiceExportTemplate,
} from '../../../../apis/kubebind/types.gen.ts';
import { exportedLabel } from '../../../../apis/kubebind/wire.ts';

export function templateOwnerRef(template: APIServiceExportTemplate): OwnerReference {
  return {
    apiVersion: kubeBindAPIVersion,
    kind: APIServiceExportTemplates.kind,
    name: template.metadata?.name ?? '',
    uid: template.metadata?.uid ?? '',
  };
}

const isTemplateRef = (ref: OwnerReference): boolean =>
  ref.kind === APIServiceExportTemplates.kind &&
  ref.apiVersion.startsWith(`${APIServiceExportTemplates.group}/`);

/** The names of the schemas behind the binding's resources that the template lists. */
export function wantedSchemas(binding: APIBinding, template: APIServiceExportTemplate): string[] {
  const listed = new Set(template.spec.resources.map((r) => `${r.resource}.${r.group ?? ''}`));
  return (binding.status?.boundResources ?? [])
    .filter((b) => listed.has(`${b.resource}.${b.group}`))
    .map((b) => b.schema.name);
}

export type CopyAction =
  | { kind: 'create'; schema: APIResourceSchema }
  | { kind: 'update'; schema: APIResourceSchema }
  | { kind: 'none' };

/**
 * What makes `local` (the workspace's object of the source's name, if any) an exported copy of
 * `source` owned by `template`.
 */
export function decideCopy(
  source: APIResourceSchema,
  local: APIResourceSchema | undefined,
  template: APIServiceExportTemplate,
): CopyAction {
  const ours = templateOwnerRef(template);
  if (!local) {
    return {
      kind: 'create',
      schema: {
        apiVersion: 'apis.kcp.io/v1alpha1',
        kind: 'APIResourceSchema',
        metadata: {
          name: source.metadata.name,
          labels: { [exportedLabel]: 'true' },
          ownerReferences: [ours],
        },
        spec: structuredClone(source.spec),
      },
    };
  }
  const refs = local.metadata.ownerReferences ?? [];
  const isCopy = refs.some(isTemplateRef);
  const labelled = local.metadata.labels?.[exportedLabel] === 'true';
  const owned = !isCopy || refs.some((r) => isTemplateRef(r) && r.uid === ours.uid);
  if (labelled && owned) return { kind: 'none' };
  // A template of the same name made anew has another uid: its old reference goes.
  const others = refs.filter((r) => !(isTemplateRef(r) && r.name === ours.name));
  return {
    kind: 'update',
    schema: {
      ...local,
      metadata: {
        ...local.metadata,
        labels: { ...local.metadata.labels, [exportedLabel]: 'true' },
        ...(isCopy && { ownerReferences: [...others, ours] }),
      },
    },
  };
}

export type StaleAction =
  { kind: 'delete' } | { kind: 'disown'; schema: APIResourceSchema } | { kind: 'keep' };

/**
 * What becomes of a labelled copy owned by `template` that it no longer wants (the binding moved
 * to a new schema, or the template dropped the resource): deleted if the template is its only
 * owner, else the template lets go of it.
 */
export function decideStale(
  copy: APIResourceSchema,
  template: APIServiceExportTemplate,
  wanted: readonly string[],
): StaleAction {
  const refs = copy.metadata.ownerReferences ?? [];
  const uid = template.metadata?.uid;
  const mine = (r: OwnerReference): boolean => isTemplateRef(r) && r.uid === uid;
  if (wanted.includes(copy.metadata.name) || !refs.some(mine)) return { kind: 'keep' };
  const others = refs.filter((r) => !mine(r));
  if (!others.some(isTemplateRef)) return { kind: 'delete' };
  return {
    kind: 'disown',
    schema: { ...copy, metadata: { ...copy.metadata, ownerReferences: others } },
  };
}
