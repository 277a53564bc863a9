// BoundSchema: the provider's copy of one CRD schema in a contract namespace; the konnector
// turns it into a CRD on the consumer (docs/controllers.md §1.4, §4).
import {
  array,
  freeForm,
  integer,
  named,
  object,
  oneOf,
  required,
  string,
} from '../../schema/builder.ts';
import {
  ageColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import {
  conditions,
  crdNames,
  group,
  printerColumn,
  scopeAllOf,
  subresources,
  versionHeader,
} from './shared.ts';

const scope = named(
  'ResourceScope',
  oneOf(['Cluster', 'Namespaced'], { description: 'The scope of the bound CRD.' }),
);

export const boundSchemaVersion = named(
  'BoundSchemaVersion',
  object({
    ...versionHeader,
    schema: required(
      freeForm({
        description:
          'The OpenAPI schema: {openAPIV3Schema: …} when copied from a CRD, the bare schema ' +
          'when copied from a kcp APIResourceSchema.',
        'x-kubernetes-map-type': 'atomic',
        tsType: 'Record<string, unknown>',
      }),
    ),
    subresources,
    additionalPrinterColumns: array(printerColumn, {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  }),
);

const conversion = object(
  {
    strategy: named(
      'ConversionStrategy',
      oneOf(['None', 'Webhook']),
      'How a bound CRD converts between its versions.',
    ),
    webhook: object({
      clientConfig: object({
        url: string({ format: 'uri' }),
        caBundle: string({ format: 'byte' }),
      }),
      conversionReviewVersions: array(string(), { 'x-kubernetes-list-type': 'atomic' }),
    }),
  },
  {
    // Upstream's rule, verbatim (including the double space): one rule for both directions.
    'x-kubernetes-validations': [
      {
        rule: "(self.strategy == 'None' && !has(self.webhook))  || (self.strategy == 'Webhook' && has(self.webhook))",
        message: 'Webhook must be specified if strategy=Webhook',
      },
    ],
  },
);

export const boundSchemaSpec = named(
  'BoundSchemaSpec',
  object({
    informerScope: required(
      scopeAllOf('Whether the konnector watches its objects cluster-wide or per namespace.'),
    ),
    group: required(string({ description: 'The API group of the bound CRD.' })),
    names: required(crdNames),
    scope: required(scope),
    versions: required(
      array(boundSchemaVersion, {
        minItems: 1,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    conversion: named('BoundSchemaConversion', conversion),
  }),
);

export const boundSchemaStatus = named(
  'BoundSchemaStatus',
  object({
    acceptedNames: crdNames,
    storedVersions: array(string()),
    conditions,
    instantiations: integer(),
  }),
);

export const boundSchema: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('BoundSchema', 'boundschemas', {
    shortNames: ['bs'],
    categories: ['kube-bindings'],
  }),
  conversionNone: true,
  versions: [
    storageVersion({
      printerColumns: [ageColumn],
      schema: kindSchema({
        description: 'The schema of one resource bound by a consumer.',
        spec: boundSchemaSpec,
        status: boundSchemaStatus,
      }),
    }),
  ],
};
