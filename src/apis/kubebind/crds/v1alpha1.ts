// The v1alpha1 versions five kinds still serve for old clients (docs/controllers.md §1.5). No
// code of ours reads or writes them; they exist so that a v1alpha1 client keeps working, and the
// API server only rewrites apiVersion between the versions (conversion strategy None).
import {
  array,
  dateTime,
  freeForm,
  immutable,
  object,
  oneOf,
  required,
  string,
  type Schema,
} from '../../schema/builder.ts';
import {
  ageColumn,
  conditionColumn,
  kindSchema,
  type PrinterColumn,
  type VersionDefinition,
} from '../../schema/crd.ts';
import {
  conditions,
  crdNames,
  groupResourceProperties,
  informerScope,
  isolation,
  printerColumn,
  subresources,
  versionHeader,
} from './shared.ts';

const served = (schema: Schema, printerColumns: readonly PrinterColumn[]): VersionDefinition => ({
  name: 'v1alpha1',
  served: true,
  storage: false,
  statusSubresource: true,
  printerColumns,
  schema,
});

/** v1alpha1 only accepted the key `kubeconfig`. */
const kubeconfigKey = required(oneOf(['kubeconfig'], { description: 'The key in the secret.' }));
const immutableRef = [immutable('kubeconfigSecretRef is immutable')];

export const clusterBindingV1alpha1 = served(
  kindSchema({
    description: 'The binding between one consumer cluster and this provider.',
    spec: required(
      object({
        kubeconfigSecretRef: required(
          object(
            { name: required(string({ minLength: 1 })), key: kubeconfigKey },
            { 'x-kubernetes-validations': immutableRef },
          ),
        ),
        providerPrettyName: required(string({ minLength: 1 })),
        serviceProviderSpec: freeForm(),
      }),
    ),
    status: object({
      lastHeartbeatTime: dateTime(),
      heartbeatInterval: string(),
      konnectorVersion: string(),
      conditions,
    }),
    rules: [
      {
        rule: 'self.metadata.name == "cluster"',
        message: 'cluster binding name should be cluster',
      },
    ],
  }),
  [
    { name: 'Konnector Version', type: 'string', jsonPath: '.status.konnectorVersion' },
    { name: 'Last Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeatTime' },
    conditionColumn('Ready', 'Ready'),
    ageColumn,
  ],
);

export const apiServiceExportRequestV1alpha1 = served(
  kindSchema({
    description: 'A request to export resources to the consumer.',
    spec: required(
      object({
        parameters: freeForm({
          'x-kubernetes-validations': [immutable('parameters are immutable')],
        }),
        resources: required(
          array(object({ ...groupResourceProperties, versions: array(string()) }), {
            minItems: 1,
            'x-kubernetes-validations': [immutable('resources are immutable')],
          }),
        ),
      }),
    ),
    status: object(
      {
        phase: oneOf(['Pending', 'Failed', 'Succeeded'], { default: 'Pending' }),
        terminalMessage: string(),
        conditions,
      },
      { default: {} },
    ),
  }),
  [conditionColumn('Ready', 'Ready'), ageColumn],
);

/** v1alpha1 exports carried a whole CRD-like spec: one export per resource. */
const exportVersion = object({
  ...versionHeader,
  schema: required(
    object({ openAPIV3Schema: required(freeForm({ 'x-kubernetes-map-type': 'atomic' })) }),
  ),
  subresources: object({ status: object({}), scale: subresources.properties?.['scale'] ?? {} }),
  additionalPrinterColumns: array(printerColumn, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
});

export const apiServiceExportV1alpha1 = served(
  kindSchema({
    description: 'An API the provider exports to one consumer (the v1alpha1 shape).',
    spec: required(
      object(
        {
          group: required(string()),
          names: required(crdNames),
          scope: required(oneOf(['Cluster', 'Namespaced'])),
          versions: required(
            array(exportVersion, {
              minItems: 1,
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
            }),
          ),
          informerScope: required({
            ...informerScope,
            'x-kubernetes-validations': [immutable('informerScope is immutable')],
          }),
          clusterScopedIsolation: isolation,
        },
        {
          'x-kubernetes-validations': [
            {
              rule: 'self.scope == "Namespaced" || self.informerScope == "Cluster"',
              message: 'informerScope must be Cluster for cluster-scoped resources',
            },
            {
              rule: 'self.scope == "Namespaced" || has(self.clusterScopedIsolation)',
              message: 'clusterScopedIsolation must be defined for cluster-scoped resources',
            },
            {
              rule: 'self.scope == "Cluster" || !has(self.clusterScopedIsolation)',
              message: 'clusterScopedIsolation is not relevant for namespaced resources',
            },
          ],
        },
      ),
    ),
    status: object({
      acceptedNames: crdNames,
      storedVersions: array(string()),
      conditions,
    }),
    // Upstream's message is wrong (the rule checks the name), but clients may match on it.
    rules: [
      {
        rule: 'self.metadata.name == self.spec.names.plural+"."+self.spec.group',
        message: 'informerScope is immutable',
      },
    ],
  }),
  [conditionColumn('Established', 'Established', 5), ageColumn],
);

export const apiServiceNamespaceV1alpha1 = served(
  kindSchema({
    description: 'A consumer namespace whose objects the provider receives.',
    spec: object({}),
    status: object({ namespace: string() }),
  }),
  [{ name: 'Namespace', type: 'string', jsonPath: '.status.namespace' }, ageColumn],
);

export const apiServiceBindingV1alpha1 = (columns: readonly PrinterColumn[]): VersionDefinition =>
  served(
    kindSchema({
      description: 'Binds the APIs of one provider export into this cluster.',
      spec: object({
        kubeconfigSecretRef: required(
          object(
            {
              name: required(string({ minLength: 1 })),
              namespace: required(string({ minLength: 1 })),
              key: kubeconfigKey,
            },
            { 'x-kubernetes-validations': immutableRef },
          ),
        ),
      }),
      status: object({ providerPrettyName: string(), conditions }),
    }),
    columns,
  );
