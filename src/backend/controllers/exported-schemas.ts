// Where a provider's exported schemas come from (`--schema-source`, docs/controllers.md §4.1): CRDs
// or, on kcp, APIResourceSchemas, labelled `kube-bind.io/exported=true`. This is the one place that
// knows which resource to watch and how one of its objects becomes a BoundSchema spec; the
// serviceexportrequest and serviceexportrbac controllers only see `<plural>.<group>` keys, scopes
// and specs. Unlike upstream, which lists the source directly on every reconcile, the objects are
// read from a labelled informer (so a change of a source also wakes the controllers).
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { APIResourceSchema } from '../../apis/kubebind/kcp.ts';
import {
  boundSchemaSpecFromAPIResourceSchema,
  boundSchemaSpecFromCRD,
} from '../../apis/kubebind/schema-mapping.ts';
import { crdName } from '../../apis/kubebind/group-resource.ts';
import type { BoundSchemaSpec } from '../../apis/kubebind/types.gen.ts';
import { exportedLabel } from '../../apis/kubebind/wire.ts';
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import { CustomResourceDefinitions } from '../../kube/resources.ts';
import { APIResourceSchemas } from '../../providers/kcp/bootstrap.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import { watch, type Watch } from '../../runtime/controller/handlers.ts';
import type { ObjectRef } from '../../runtime/controller/request.ts';
import type { SchemaSource } from '../options/values.ts';
import { byCodeUnits } from '../../apis/order.ts';
import { derivedOnce } from '../../apis/frozen.ts';

type Scope = BoundSchemaSpec['scope'];
type InformerScope = BoundSchemaSpec['informerScope'];

/** The exported schemas of one cluster, as the controllers use them. */
export interface ExportedSchemas {
  /** A watch on the labelled objects; `toRequests` gets each one's `<plural>.<group>` key. */
  watch(toRequests: (key: string) => readonly ObjectRef[]): Watch;
  /** Every exported schema by key, as a BoundSchema spec with `informerScope`. */
  specs(informerScope: InformerScope): Map<string, BoundSchemaSpec>;
  /** The scope of the schema exported under `key`, if any is. */
  scopeOf(key: string): Scope | undefined;
}

export interface ExportedSchemaSource {
  /** What a provider labels, for messages: `CRD` or `APIResourceSchema`. */
  readonly noun: string;
  /** The exported schemas of `cluster` (sets up a shared informer; call once per cluster). */
  in(cluster: Cluster): ExportedSchemas;
}

/** How one kind of source object is read. */
interface SourceKind<T extends KubeObject> {
  noun: string;
  type: ResourceType<T>;
  group(obj: T): string;
  plural(obj: T): string;
  scope(obj: T): Scope;
  spec(obj: T, informerScope: InformerScope): BoundSchemaSpec;
}

const byKeyIndex = 'exportedSchemaByKey';

function sourceOf<T extends KubeObject>(kind: SourceKind<T>): ExportedSchemaSource {
  const keyOf = (obj: T): string => crdName(kind.group(obj), kind.plural(obj));
  // Once per object the informer holds (a changed source is a new object): every request's
  // validation asks for all specs, and converting each CRD again was 5% of the backend's CPU.
  const specOnce = derivedOnce((obj: T, scope: InformerScope) => kind.spec(obj, scope));
  return {
    noun: kind.noun,
    in: (cluster) => {
      const informer = cluster.informers.informerFor(kind.type, {
        labelSelector: `${exportedLabel}=true`,
      });
      informer.addIndexer(byKeyIndex, (obj) => [keyOf(obj)]);
      // Several objects may export one key (kcp: a schema copy per revision); pick one stably.
      const current = (key: string): T | undefined =>
        newestFirst(informer.lister.byIndex(byKeyIndex, key))[0];
      return {
        watch: (toRequests) => watch(informer, { map: (obj: T) => toRequests(keyOf(obj)) }),
        specs: (informerScope) => {
          const specs = new Map<string, BoundSchemaSpec>();
          for (const obj of newestFirst(informer.lister.list())) {
            const key = keyOf(obj);
            if (!specs.has(key)) specs.set(key, specOnce(obj, informerScope));
          }
          return specs;
        },
        scopeOf: (key) => {
          const obj = current(key);
          return obj && kind.scope(obj);
        },
      };
    },
  };
}

/** Newest first (by creation, then name), so the choice among duplicates does not flap. */
function newestFirst<T extends KubeObject>(objs: readonly T[]): T[] {
  const created = (o: T): string => o.metadata?.creationTimestamp ?? '';
  const name = (o: T): string => o.metadata?.name ?? '';
  return [...objs].sort((a, b) =>
    created(a) !== created(b) ? byCodeUnits(created(b), created(a)) : byCodeUnits(name(b), name(a)),
  );
}

/** Labelled CRDs (the default). */
export const crdSchemas: ExportedSchemaSource = sourceOf<CustomResourceDefinition>({
  noun: 'CRD',
  type: CustomResourceDefinitions,
  group: (crd) => crd.spec.group,
  plural: (crd) => crd.spec.names.plural,
  scope: (crd) => crd.spec.scope as Scope,
  spec: boundSchemaSpecFromCRD,
});

/** Labelled kcp APIResourceSchemas (cluster-scoped, apis.kcp.io/v1alpha1). */
export const apiResourceSchemas: ExportedSchemaSource = sourceOf<APIResourceSchema>({
  noun: 'APIResourceSchema',
  type: APIResourceSchemas,
  group: (schema) => schema.spec.group,
  plural: (schema) => schema.spec.names.plural,
  scope: (schema) => schema.spec.scope,
  spec: boundSchemaSpecFromAPIResourceSchema,
});

/** The source `--schema-source` names. */
export function exportedSchemaSource(source: SchemaSource): ExportedSchemaSource {
  return source.kind === 'APIResourceSchema' ? apiResourceSchemas : crdSchemas;
}
