// ClusterBinding: the singleton `cluster` in every contract namespace; the backend creates it,
// the konnector heartbeats into its status (docs/controllers.md §1.4, §5.2).
import {
  dateTime,
  freeForm,
  immutable,
  named,
  object,
  required,
  string,
} from '../../schema/builder.ts';
import {
  ageColumn,
  conditionColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import { conditions, group, localSecretKeyRef } from './shared.ts';
import { clusterBindingV1alpha1 } from './v1alpha1.ts';

export const clusterBindingSpec = named(
  'ClusterBindingSpec',
  object({
    kubeconfigSecretRef: required({
      ...localSecretKeyRef,
      description: 'The secret in this namespace that holds the kubeconfig the consumer uses.',
      'x-kubernetes-validations': [immutable('kubeconfigSecretRef is immutable')],
    }),
    providerPrettyName: required(
      string({ description: 'The provider name the consumer shows.', minLength: 1 }),
    ),
    serviceProviderSpec: freeForm({
      description: 'Provider-specific settings, kept as sent.',
    }),
  }),
);

export const clusterBindingStatus = named(
  'ClusterBindingStatus',
  object({
    lastHeartbeatTime: dateTime({ description: 'When the konnector last reported.' }),
    heartbeatInterval: string({ description: 'How often the konnector reports, e.g. 5m0s.' }),
    konnectorVersion: string({ description: 'The version of the konnector.' }),
    consumerSecretRef: named(
      'LocalSecretRef',
      object(
        {
          name: required(string({ minLength: 1 })),
          namespace: required(string({ minLength: 1 })),
        },
        { description: 'Where the consumer keeps the provider kubeconfig.' },
      ),
    ),
    conditions,
  }),
);

export const clusterBinding: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('ClusterBinding', 'clusterbindings', { categories: ['kube-bindings'] }),
  conversionNone: true,
  versions: [
    clusterBindingV1alpha1,
    storageVersion({
      printerColumns: [
        { name: 'Konnector Version', type: 'string', jsonPath: '.status.konnectorVersion' },
        { name: 'Last Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeatTime' },
        conditionColumn('Ready', 'Ready'),
        ageColumn,
      ],
      schema: kindSchema({
        description: 'The binding between one consumer cluster and this provider.',
        spec: required(clusterBindingSpec),
        status: clusterBindingStatus,
        rules: [
          {
            rule: 'self.metadata.name == "cluster"',
            message: 'cluster binding name should be cluster',
          },
        ],
      }),
    }),
  ],
};
