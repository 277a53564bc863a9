// Sub-schemas several kube-bind.io kinds share (docs/controllers.md §1.2, §1.3).
import {
  array,
  boolean,
  integer,
  dateTime,
  named,
  object,
  oneOf,
  required,
  string,
  type Schema,
} from '../../schema/builder.ts';

export const group = 'kube-bind.io';

/** kube-bind's own condition type (a Cluster API fork), not metav1.Condition. */
export const condition = named(
  'Condition',
  object({
    type: required(string({ description: 'The condition type, e.g. Ready.' })),
    status: required(string({ description: 'True, False or Unknown.' })),
    severity: string({
      description: 'Error, Warning or Info; set only when status is False.',
    }),
    lastTransitionTime: required(
      dateTime({ description: 'When the condition last changed status, reason or message.' }),
    ),
    reason: string({ description: 'A CamelCase reason for the last transition.' }),
    message: string({ description: 'A human-readable explanation of the last transition.' }),
  }),
);

export const conditions = array(condition, { description: 'The observed state, as conditions.' });

/** A status that carries only conditions. */
export const conditionsStatus = (tsName: string): Schema =>
  named(tsName, object({ conditions }, { description: 'The observed state.' }));

const groupProperty = string({
  description: 'The API group; empty for the core group.',
  default: '',
  pattern: String.raw`^(|[a-z0-9]([-a-z0-9]*[a-z0-9](\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?)$`,
});
const resourceProperty = required(
  string({
    description: 'The resource (plural, lower case).',
    pattern: '^[a-z][-a-z0-9]*[a-z0-9]$',
  }),
);

/** A group and a resource; the Go type inlines it into several others. */
export const groupResourceProperties = { group: groupProperty, resource: resourceProperty };
export const groupResource = named('GroupResource', object(groupResourceProperties));

/** One resource of an export or export request. */
export const exportResource = named(
  'APIServiceExportResource',
  object({
    ...groupResourceProperties,
    versions: array(string(), {
      description: 'The versions to bind; empty lets the provider choose.',
    }),
  }),
);

const namedResource = object({
  name: required(string({ description: 'The object name.' })),
  namespace: string({ description: 'The object namespace; empty for cluster-scoped objects.' }),
});

const labelSelector = named(
  'LabelSelector',
  object(
    {
      matchExpressions: array(
        object({
          key: required(string()),
          operator: required(string()),
          values: array(string(), { 'x-kubernetes-list-type': 'atomic' }),
        }),
        { 'x-kubernetes-list-type': 'atomic' },
      ),
      matchLabels: {
        type: 'object',
        additionalProperties: string(),
        tsType: 'Record<string, string>',
      },
    },
    { 'x-kubernetes-map-type': 'atomic', description: 'Selects objects by their labels.' },
  ),
);

const reference = object({
  ...groupResourceProperties,
  versions: array(string()),
  jsonPath: required(
    object({
      name: string({ description: 'Path to the referenced name, e.g. spec.secretRefs.#.name.' }),
      namespace: string({ description: 'Path to the referenced namespace.' }),
    }),
  ),
});

export const selector = named(
  'Selector',
  object(
    {
      namedResources: array(namedResource),
      labelSelector,
      references: array(reference),
    },
    { description: 'Which objects of the claimed resource the konnector syncs.' },
  ),
);

/** A claim on consumer objects (configmaps, secrets or serviceaccounts). */
export const permissionClaim = named(
  'PermissionClaim',
  object({ ...groupResourceProperties, selector: required(selector) }),
);

/** A consumer namespace to pre-create. */
export const namespaceItem = named(
  'ExportNamespace',
  object({ name: required(string({ description: 'The consumer namespace name.' })) }),
);

/**
 * A scope written as two enums under allOf and no enum of its own: upstream's schema has this
 * shape (two enum markers on one Go type). Both enums hold the same two values, so validation is
 * the same as one enum; we keep the shape so a structural diff against upstream stays empty.
 */
const informerScopeDoc = 'Whether the konnector watches its objects cluster-wide or per namespace.';

export const scopeAllOf = (description: string): Schema =>
  named(
    'InformerScope',
    {
      type: 'string',
      description,
      allOf: [{ enum: ['Cluster', 'Namespaced'] }, { enum: ['Namespaced', 'Cluster'] }],
    },
    informerScopeDoc,
  );

export const informerScope = named(
  'InformerScope',
  oneOf(['Cluster', 'Namespaced'], { description: informerScopeDoc }),
  informerScopeDoc,
);

const isolationDoc = 'How the provider keeps the objects of consumers apart.';

export const isolation = named(
  'Isolation',
  oneOf(['Prefixed', 'Namespaced', 'None'], { description: isolationDoc }),
  isolationDoc,
);

export const schemaUpdatePolicy = named(
  'SchemaUpdatePolicy',
  oneOf(['Never', 'Always'], {
    description: 'Whether later changes of the provider schema reach the bound schema.',
    default: 'Never',
  }),
);

/** Where a request (export or bindable resources) stands. */
export const requestPhase = named(
  'RequestPhase',
  oneOf(['Pending', 'Failed', 'Succeeded'], {
    description: 'Where the request stands.',
    default: 'Pending',
  }),
);

export const localSecretKeyRef = named(
  'LocalSecretKeyRef',
  object({
    name: required(string({ description: 'The secret name.', minLength: 1 })),
    key: required(string({ description: 'The key in the secret data.' })),
  }),
);

export const clusterSecretKeyRef = named(
  'ClusterSecretKeyRef',
  object({
    name: required(string({ description: 'The secret name.', minLength: 1 })),
    key: required(string({ description: 'The key in the secret data.' })),
    namespace: required(string({ description: 'The secret namespace.', minLength: 1 })),
  }),
);

/** CRD names, as BoundSchemas (and v1alpha1 exports) carry them. */
export const crdNames = named(
  'BoundSchemaNames',
  object({
    plural: required(string()),
    singular: string(),
    shortNames: array(string(), { 'x-kubernetes-list-type': 'atomic' }),
    kind: required(string()),
    listKind: string(),
    categories: array(string(), { 'x-kubernetes-list-type': 'atomic' }),
  }),
);

/** A CRD printer column. */
export const printerColumn = object({
  name: required(string()),
  type: required(string()),
  format: string(),
  description: string(),
  priority: integer({ format: 'int32' }),
  jsonPath: required(string()),
});

/** CRD subresources. */
export const subresources = object({
  status: object({}, { description: 'Enables the status subresource.' }),
  scale: object({
    specReplicasPath: required(string()),
    statusReplicasPath: required(string()),
    labelSelectorPath: string(),
  }),
});

/** The first fields of a CRD-like version: name, served, storage and deprecation. */
export const versionHeader = {
  name: required(string({ minLength: 1, pattern: '^v[1-9][0-9]*([a-z]+[1-9][0-9]*)?$' })),
  served: required(boolean({ default: true })),
  storage: required(boolean()),
  deprecated: boolean(),
  deprecationWarning: string(),
};
