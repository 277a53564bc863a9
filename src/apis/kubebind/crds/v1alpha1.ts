// The v1alpha1 versions five kinds still serve for old clients (spec controllers.md §1.5). No
// code of ours reads or writes them; they exist so that a v1alpha1 client keeps working, and the
// API server only rewrites apiVersion between the versions (conversion strategy None).
import {
  array,
  boolean,
  dateTime,
  freeForm,
  immutable,
  object,
  oneOf,
  required,
  string,
} from '../../schema/builder.ts';
import {
  ageColumn,
  conditionColumn,
  kindSchema,
  type VersionDefinition,
} from '../../schema/crd.ts';
import { conditions, groupResource, informerScope, isolation } from './shared.ts';

const served = (
  schema: VersionDefinition['schema'],
  printerColumns: VersionDefinition['printerColumns'],
): VersionDefinition => ({
  name: 'v1alpha1',
  served: true,
  storage: false,
  statusSubresource: true,
  printerColumns,
  schema,
});

const kubeconfigKey = required(oneOf(['kubeconfig'], { description: 'The key in the secret.' }));

export const clusterBindingV1alpha1 = served(
  kindSchema({
    description: 'The binding between one consumer cluster and this provider.',
    spec: required(
      object({
        kubeconfigSecretRef: required(
          object(
            {
              name: required(string({ minLength: 1 })),
              key: kubeconfigKey,
            },
            { 'x-kubernetes-validations': [immutable('kubeconfigSecretRef is immutable')] },
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
          array(object({ ...groupResource.properties, versions: array(string()) }), {
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

export const apiServiceExportV1alpha1 = served(
  kindSchema({
    description: 'An API the provider exports to one consumer (old shape).',
    spec: required(
      object({
        group: required(string()),
        names: required(freeForm()),
        scope: required(oneOf(['Cluster', 'Namespaced'])),
        versions: required(array(freeForm(), { minItems: 1 })),
        informerScope: required(informerScope),
        clusterScopedIsolation: isolation,
      }),
    ),
    status: object({
      acceptedNames: freeForm(),
      storedVersions: array(string()),
      conditions,
    }),
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

export const apiServiceBindingV1alpha1 = served(
  kindSchema({
    description: 'Binds the APIs of one provider export into this cluster.',
    spec: required(
      object({
        kubeconfigSecretRef: required(
          object(
            {
              name: required(string({ minLength: 1 })),
              namespace: required(string({ minLength: 1 })),
              key: kubeconfigKey,
            },
            { 'x-kubernetes-validations': [immutable('kubeconfigSecretRef is immutable')] },
          ),
        ),
      }),
    ),
    status: object({ providerPrettyName: string(), conditions, deprecated: boolean() }),
  }),
  [conditionColumn('Ready', 'Ready'), ageColumn],
);
