// A CRD definition in our own terms, and its rendering as an apiextensions.k8s.io/v1
// CustomResourceDefinition object (what the API server and `kubectl apply` take).
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { object, string, toOpenAPI, type Schema, type ValidationRule } from './builder.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'number' | 'boolean';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface VersionDefinition {
  name: string;
  served: boolean;
  storage: boolean;
  /** The object schema: see `kindSchema`. */
  schema: Schema;
  statusSubresource: boolean;
  printerColumns: readonly PrinterColumn[];
}

export interface CRDDefinition {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    plural: string;
    singular: string;
    kind: string;
    listKind: string;
    shortNames?: readonly string[];
    categories?: readonly string[];
  };
  versions: readonly VersionDefinition[];
  /**
   * Declare `conversion: {strategy: None}`: the API server only rewrites apiVersion between
   * versions. Upstream declares it on every multi-version kind and on two single-version ones.
   */
  conversionNone?: boolean;
}

export interface KindSchemaParts {
  description: string;
  spec?: Schema;
  status?: Schema;
  /** Rules on the whole object (e.g. on metadata.name). */
  rules?: ValidationRule[];
}

/** The top-level object schema of a kind: apiVersion, kind, metadata, spec and status. */
export function kindSchema(parts: KindSchemaParts): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: string({
      description: 'The versioned schema of this representation of an object.',
    }),
    kind: string({ description: 'The REST resource this object represents, in CamelCase.' }),
    metadata: { type: 'object' },
  };
  if (parts.spec) properties['spec'] = parts.spec;
  if (parts.status) properties['status'] = parts.status;
  return object(properties, {
    description: parts.description,
    ...(parts.rules ? { 'x-kubernetes-validations': parts.rules } : {}),
  });
}

/** The CRD object for a definition. */
export function toCRD(def: CRDDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.names.plural}.${def.group}` },
    spec: {
      group: def.group,
      names: {
        kind: def.names.kind,
        listKind: def.names.listKind,
        plural: def.names.plural,
        singular: def.names.singular,
        ...(def.names.shortNames ? { shortNames: [...def.names.shortNames] } : {}),
        ...(def.names.categories ? { categories: [...def.names.categories] } : {}),
      },
      scope: def.scope,
      ...(def.conversionNone ? { conversion: { strategy: 'None' } } : {}),
      versions: def.versions.map((version) => ({
        name: version.name,
        served: version.served,
        storage: version.storage,
        ...(version.printerColumns.length > 0
          ? { additionalPrinterColumns: version.printerColumns.map((c) => ({ ...c })) }
          : {}),
        schema: { openAPIV3Schema: toOpenAPI(version.schema) },
        ...(version.statusSubresource ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}

/** The `Age` column every kind shows last. */
export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
};

/** A column with the status of condition `type` (e.g. Ready). */
export const conditionColumn = (name: string, type: string, priority?: number): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
  ...(priority === undefined ? {} : { priority }),
});

/** CRD names from the kind and plural: singular is the lower-case kind, listKind `<Kind>List`. */
export function kindNames(
  kind: string,
  plural: string,
  extra: { shortNames?: readonly string[]; categories?: readonly string[] } = {},
): CRDDefinition['names'] {
  return { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, ...extra };
}

/** The served storage version (v1alpha2 unless named), with a status subresource by default. */
export function storageVersion(
  parts: Pick<VersionDefinition, 'schema' | 'printerColumns'> &
    Partial<Pick<VersionDefinition, 'name' | 'statusSubresource'>>,
): VersionDefinition {
  return { name: 'v1alpha2', served: true, storage: true, statusSubresource: true, ...parts };
}
