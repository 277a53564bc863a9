// A small builder for structural OpenAPI v3 schemas, the one source of truth of our CRDs.
// Every schema node is plain JSON (what goes into a CRD) plus hints that never reach the
// API server: `tsName` (emit a named TypeScript interface, or an enum's union type, for this
// node), `tsDoc`, `tsType` and `requiredKey` (the field is required). The code generator (hack/codegen.ts) turns the same nodes into
// CRD YAML and TypeScript types, so the two cannot disagree.

/** A CEL validation rule as Kubernetes stores it (x-kubernetes-validations). */
export interface ValidationRule {
  rule: string;
  message?: string;
}

/** The subset of apiextensions/v1 JSONSchemaProps our CRDs use, with builder hints. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  allOf?: Schema[];
  enum?: string[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
  /** Builder hint: the TypeScript interface (or enum type) name for this node. Stripped from CRDs. */
  tsName?: string;
  /** Builder hint: the doc comment of the named type, when not the node's description. Stripped. */
  tsDoc?: string;
  /** Builder hint: the TypeScript type to use instead of deriving one. Stripped from CRDs. */
  tsType?: string;
  /** Builder hint set by `required()`. Stripped from CRDs. */
  requiredKey?: boolean;
}

type Options = Omit<Schema, 'type' | 'properties' | 'items' | 'requiredKey'>;

export const string = (opts: Options = {}): Schema => ({ type: 'string', ...opts });
export const integer = (opts: Options = {}): Schema => ({ type: 'integer', ...opts });
export const boolean = (opts: Options = {}): Schema => ({ type: 'boolean', ...opts });
export const array = (items: Schema, opts: Options = {}): Schema => ({
  type: 'array',
  items,
  ...opts,
});

/** A string limited to `values`; the TypeScript type is their union. */
export const oneOf = (values: readonly string[], opts: Options = {}): Schema => ({
  type: 'string',
  enum: [...values],
  ...opts,
});

/** A date-time string (RFC 3339), as metav1.Time is encoded. */
export const dateTime = (opts: Options = {}): Schema => string({ format: 'date-time', ...opts });

/** An object with free-form content that the API server keeps as sent (no pruning). */
export const freeForm = (opts: Options = {}): Schema => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  ...opts,
});

/** Marks a property as required in its parent object. */
export const required = (schema: Schema): Schema => ({ ...schema, requiredKey: true });

/**
 * An object with the given properties. Required properties (marked with `required()`) are listed
 * in declaration order, as controller-gen does.
 */
export function object(properties: Record<string, Schema>, opts: Options = {}): Schema {
  const requiredKeys = Object.entries(properties)
    .filter(([, schema]) => schema.requiredKey === true)
    .map(([key]) => key);
  return {
    type: 'object',
    // An object without fields is just `type: object` (its content is pruned).
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
    ...(requiredKeys.length > 0 ? { required: requiredKeys } : {}),
    ...opts,
  };
}

/**
 * Gives an object schema a TypeScript interface name, or a string enum a union type name (the
 * generated types then also list its values). `tsDoc` documents the type where the description
 * is about one field (a field that reuses the node may override the description).
 */
export const named = (tsName: string, schema: Schema, tsDoc?: string): Schema => ({
  ...schema,
  tsName,
  ...(tsDoc === undefined ? {} : { tsDoc }),
});

/** The `self == oldSelf` immutability rule with its message. */
export const immutable = (message: string): ValidationRule => ({
  rule: 'self == oldSelf',
  message,
});

const hintKeys = new Set(['tsName', 'tsDoc', 'tsType', 'requiredKey']);

/** The schema as the API server sees it: builder hints removed, recursively. */
export function toOpenAPI(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (hintKeys.has(key) || value === undefined) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [
          name,
          toOpenAPI(child),
        ]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toOpenAPI(value as Schema);
    } else if (key === 'allOf') {
      out[key] = (value as Schema[]).map(toOpenAPI);
    } else {
      out[key] = value;
    }
  }
  return out;
}
