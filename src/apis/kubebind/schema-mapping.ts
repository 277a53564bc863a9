// Between provider schemas and BoundSchemas (docs/controllers.md §4). A provider offers an API as
// a CRD or, on kcp, as an APIResourceSchema; the backend copies it into a BoundSchema and the
// konnector turns that back into a CRD on the consumer. Only the fields a BoundSchema has are
// copied, as Go's unstructured converter does (a CRD's selectableFields or a webhook's service
// are dropped). The two sources differ in one way that matters: a CRD version's `schema` is the
// wrapper `{openAPIV3Schema: …}`, an APIResourceSchema's is the bare schema — and a BoundSchema
// keeps whichever shape it was copied from, so every reader must accept both.
import type {
  CustomResourceConversion,
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
} from 'kubernetes-types/apiextensions/v1.js';
import { crdName } from './group-resource.ts';
import {
  kubeBindAPIVersion,
  type BoundSchema,
  type BoundSchemaConversion,
  type BoundSchemaNames,
  type BoundSchemaSpec,
  type BoundSchemaVersion,
} from './types.gen.ts';

type Scope = BoundSchemaSpec['scope'];

/** The fields of a kcp APIResourceSchema (apis.kcp.io/v1alpha1) a BoundSchema takes. */
export interface APIResourceSchemaLike {
  metadata?: { name?: string };
  spec: {
    group: string;
    names: BoundSchemaNames;
    scope: Scope;
    versions: SourceVersion[];
    conversion?: SourceConversion;
  };
}

interface SourceVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: unknown;
  subresources?: BoundSchemaVersion['subresources'];
  additionalPrinterColumns?: BoundSchemaVersion['additionalPrinterColumns'];
}

type SourceConversion = Pick<CustomResourceConversion, 'strategy'> & {
  webhook?: {
    clientConfig?: { url?: string; caBundle?: string };
    conversionReviewVersions?: string[];
  };
};

/** A source schema's content could not become a BoundSchema (or a BoundSchema a CRD). */
export class SchemaMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaMappingError';
  }
}

/** The BoundSchema spec of an exported CRD, keeping the `{openAPIV3Schema}` wrapper (controllers.md §4.1). */
export function boundSchemaSpecFromCRD(
  crd: CustomResourceDefinition,
  informerScope: BoundSchemaSpec['informerScope'],
): BoundSchemaSpec {
  return specFrom(
    {
      group: crd.spec.group,
      names: crd.spec.names,
      scope: crd.spec.scope as Scope,
      versions: crd.spec.versions,
      ...(crd.spec.conversion && { conversion: crd.spec.conversion }),
    },
    informerScope,
  );
}

/** The BoundSchema spec of a kcp APIResourceSchema, with its bare schema (controllers.md §4.1). */
export function boundSchemaSpecFromAPIResourceSchema(
  schema: APIResourceSchemaLike,
  informerScope: BoundSchemaSpec['informerScope'],
): BoundSchemaSpec {
  return specFrom(schema.spec, informerScope);
}

/**
 * The exported schemas' key: `<plural>.<group>` (no `core` substitution; CRDs have a group).
 */
export function exportedSchemaKey(spec: Pick<BoundSchemaSpec, 'group' | 'names'>): string {
  return crdName(spec.group, spec.names.plural);
}

/**
 * A BoundSchema for a CRD, as tooling builds one (controllers.md §4.3): named after the CRD (or
 * `<prefix>.<crd name>`), informer scope = the CRD's scope, the schema stored bare.
 */
export function crdToBoundSchema(crd: CustomResourceDefinition, prefix?: string): BoundSchema {
  const name = crd.metadata?.name ?? crdName(crd.spec.group, crd.spec.names.plural);
  if (crd.spec.versions.length === 0) {
    throw new SchemaMappingError(`CRD ${name} has no versions`);
  }
  if (crd.spec.versions.length > 1 && !crd.spec.conversion) {
    throw new SchemaMappingError(`CRD ${name} has several versions but no conversion strategy`);
  }
  const spec = boundSchemaSpecFromCRD(crd, crd.spec.scope as Scope);
  return {
    apiVersion: kubeBindAPIVersion,
    kind: 'BoundSchema',
    metadata: { name: prefix ? `${prefix}.${name}` : name },
    spec: {
      ...spec,
      versions: spec.versions.map((v) => ({ ...v, schema: bareSchema(v.schema) })),
    },
  };
}

/** The CRD a konnector installs for a BoundSchema (controllers.md §4.3); both schema shapes are accepted. */
export function boundSchemaToCRD(spec: BoundSchemaSpec): CustomResourceDefinition {
  const conversion = crdConversion(spec.conversion);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(spec.group, spec.names.plural) },
    spec: {
      group: spec.group,
      names: structuredClone(spec.names),
      scope: spec.scope,
      ...(conversion && { conversion }),
      versions: spec.versions.map((v) => crdVersion(v)),
    },
  };
}

/** The bare OpenAPI schema of a BoundSchema version, whichever shape it was stored in. */
export function bareSchema(schema: unknown): Record<string, unknown> {
  if (isObject(schema) && isObject(schema['openAPIV3Schema'])) return schema['openAPIV3Schema'];
  return isObject(schema) ? schema : {};
}

function specFrom(
  source: {
    group: string;
    names: BoundSchemaNames;
    scope: Scope;
    versions: readonly (SourceVersion | CustomResourceDefinitionVersion)[];
    conversion?: SourceConversion;
  },
  informerScope: BoundSchemaSpec['informerScope'],
): BoundSchemaSpec {
  const conversion = boundConversion(source.conversion);
  return {
    informerScope,
    group: source.group,
    names: copyNames(source.names),
    scope: source.scope,
    versions: source.versions.map(boundVersion),
    ...(conversion && { conversion }),
  };
}

function copyNames(names: BoundSchemaNames): BoundSchemaNames {
  return {
    plural: names.plural,
    ...(names.singular && { singular: names.singular }),
    ...(names.shortNames && { shortNames: [...names.shortNames] }),
    kind: names.kind,
    ...(names.listKind && { listKind: names.listKind }),
    ...(names.categories && { categories: [...names.categories] }),
  };
}

function boundVersion(v: SourceVersion | CustomResourceDefinitionVersion): BoundSchemaVersion {
  return {
    name: v.name,
    served: v.served,
    storage: v.storage,
    ...(v.deprecated !== undefined && { deprecated: v.deprecated }),
    ...(v.deprecationWarning !== undefined && { deprecationWarning: v.deprecationWarning }),
    schema: isObject(v.schema) ? structuredClone(v.schema) : {},
    ...(v.subresources && { subresources: structuredClone(v.subresources) }),
    ...(v.additionalPrinterColumns && {
      additionalPrinterColumns: structuredClone(v.additionalPrinterColumns),
    }),
  } as BoundSchemaVersion;
}

function boundConversion(c: SourceConversion | undefined): BoundSchemaConversion | undefined {
  if (!c) return undefined;
  const strategy = { strategy: c.strategy as 'None' | 'Webhook' };
  if (!c.webhook) return strategy;
  const { clientConfig, conversionReviewVersions } = c.webhook;
  return {
    ...strategy,
    webhook: {
      ...(clientConfig && {
        clientConfig: {
          ...(clientConfig.url !== undefined && { url: clientConfig.url }),
          ...(clientConfig.caBundle && { caBundle: clientConfig.caBundle }),
        },
      }),
      ...(conversionReviewVersions && { conversionReviewVersions: [...conversionReviewVersions] }),
    },
  };
}

function crdConversion(c: BoundSchemaConversion | undefined): CustomResourceConversion | undefined {
  if (!c) return undefined;
  // A strategy is required by the API server; an absent one can only mean None.
  const strategy = c.strategy ?? 'None';
  if (strategy === 'None' || !c.webhook) return { strategy };
  const { clientConfig, conversionReviewVersions } = c.webhook;
  return {
    strategy,
    webhook: {
      conversionReviewVersions: [...(conversionReviewVersions ?? [])],
      ...(clientConfig && { clientConfig: { ...clientConfig } }),
    },
  };
}

function crdVersion(v: BoundSchemaVersion): CustomResourceDefinitionVersion {
  return {
    name: v.name,
    served: v.served,
    storage: v.storage,
    ...(v.deprecated !== undefined && { deprecated: v.deprecated }),
    ...(v.deprecationWarning !== undefined && { deprecationWarning: v.deprecationWarning }),
    schema: { openAPIV3Schema: structuredClone(bareSchema(v.schema)) },
    subresources: structuredClone(v.subresources ?? {}),
    ...(v.additionalPrinterColumns && {
      additionalPrinterColumns: structuredClone(v.additionalPrinterColumns),
    }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
