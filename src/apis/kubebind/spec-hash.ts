// The `kube-bind.io/source-spec-hash` annotation (docs/controllers.md §4.4): lower-case hex
// SHA-256 of Go's `json.NewEncoder(h).Encode(spec)` — the encoding followed by "\n" — of a
// BoundSchemaSpec; for an APIServiceExport one digest over each spec's encoding+"\n" in
// `spec.resources` order. Matching upstream byte for byte means a provider cluster written by the
// Go backend is taken over without rewriting a single annotation or spec.
//
// The Go types below follow upstream's sdk/apis/kubebind/v1alpha2 (BoundSchemaSpec with
// APICRDSpec inlined, APIResourceVersion, its own conversion types) and the apiextensions v1
// types it embeds. The backend fills them with runtime.DefaultUnstructuredConverter from the
// listed CRDs or kcp APIResourceSchemas: unknown fields (a CRD's preserveUnknownFields,
// selectableFields, a webhook's service) are dropped, and `schema` becomes a RawExtension holding
// `json.Marshal` of the unstructured map — so its keys are sorted, whatever order they came in.
import { createHash } from 'node:crypto';
import { derivedOnce } from '../frozen.ts';
import { goJsonEncodeAs, type GoField, type GoType } from './go-json.ts';
import type { BoundSchemaSpec } from './types.gen.ts';

/** The spec of a kube-bind.io/v1alpha2 BoundSchema, in its JSON shape (the generated type). */
export type { BoundSchemaSpec };

const field = (name: string, type: GoType, omitempty = false): GoField => ({
  name,
  type,
  omitempty,
});
const struct = (...fields: GoField[]): GoType => ({ struct: fields });
const pointer = (type: GoType): GoType => ({ pointer: type });
const slice = (type: GoType): GoType => ({ slice: type });
const omitempty = true;

// apiextensionsv1.CustomResourceDefinitionNames
const names = struct(
  field('plural', 'string'),
  field('singular', 'string', omitempty),
  field('shortNames', slice('string'), omitempty),
  field('kind', 'string'),
  field('listKind', 'string', omitempty),
  field('categories', slice('string'), omitempty),
);

// apiextensionsv1.CustomResourceSubresources; status is a pointer to an empty struct.
const subresources = struct(
  field('status', pointer(struct()), omitempty),
  field(
    'scale',
    pointer(
      struct(
        field('specReplicasPath', 'string'),
        field('statusReplicasPath', 'string'),
        field('labelSelectorPath', pointer('string'), omitempty),
      ),
    ),
    omitempty,
  ),
);

// apiextensionsv1.CustomResourceColumnDefinition (priority is an int32).
const column = struct(
  field('name', 'string'),
  field('type', 'string'),
  field('format', 'string', omitempty),
  field('description', 'string', omitempty),
  field('priority', 'int', omitempty),
  field('jsonPath', 'string'),
);

// kube-bind's APIResourceVersion. `subresources` is a struct value: omitempty never drops it,
// so every version carries at least `"subresources":{}`.
const version = struct(
  field('name', 'string'),
  field('served', 'bool'),
  field('storage', 'bool'),
  field('deprecated', 'bool', omitempty),
  field('deprecationWarning', pointer('string'), omitempty),
  field('schema', 'raw'),
  field('subresources', subresources, omitempty),
  field('additionalPrinterColumns', slice(column), omitempty),
);

// kube-bind's CustomResourceConversion / WebhookConversion / WebhookClientConfig (no `service`).
const conversion = struct(
  field('strategy', 'string'),
  field(
    'webhook',
    pointer(
      struct(
        field(
          'clientConfig',
          pointer(
            struct(
              field('url', pointer('string'), omitempty),
              field('caBundle', 'bytes', omitempty),
            ),
          ),
          omitempty,
        ),
        field('conversionReviewVersions', slice('string')),
      ),
    ),
    omitempty,
  ),
);

/** kube-bind's BoundSchemaSpec: informerScope, then the inlined APICRDSpec. */
export const boundSchemaSpecGoType: GoType = struct(
  field('informerScope', 'string'),
  field('group', 'string'),
  field('names', names),
  field('scope', 'string'),
  field('versions', slice(version)),
  field('conversion', pointer(conversion), omitempty),
);

/**
 * Go's encoding of one BoundSchemaSpec (without the trailing newline the hash includes). Made once
 * per spec object: the backend hashes the same specs on every reconcile of a request, an export
 * and a BoundSchema, and encoding a CRD's schema again each time was 6% of its CPU (1,000 export
 * requests in bench/backend.ts: 450 ms of 7.5 s). So an encoded spec is frozen (../frozen.ts).
 */
export function boundSchemaSpecJson(spec: BoundSchemaSpec): string {
  return encodeOnce(spec);
}

const encodeOnce = derivedOnce((spec: BoundSchemaSpec) =>
  goJsonEncodeAs(spec, boundSchemaSpecGoType),
);

/** The `kube-bind.io/source-spec-hash` of one BoundSchema (once per spec object, as above). */
export function sourceSpecHash(spec: BoundSchemaSpec): string {
  return hashOnce(spec);
}

const hashOnce = derivedOnce((spec: BoundSchemaSpec) => digestOf([spec]));

/** The `kube-bind.io/source-spec-hash` of an APIServiceExport: its schemas in resources order. */
export function sourceSpecHashOf(specs: readonly BoundSchemaSpec[]): string {
  const [only, ...others] = specs;
  return only && others.length === 0 ? hashOnce(only) : digestOf(specs);
}

function digestOf(specs: readonly BoundSchemaSpec[]): string {
  const hash = createHash('sha256');
  for (const spec of specs) hash.update(`${boundSchemaSpecJson(spec)}\n`, 'utf8');
  return hash.digest('hex');
}
