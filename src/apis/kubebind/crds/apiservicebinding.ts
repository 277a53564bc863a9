// APIServiceBinding and APIServiceBindingBundle: the consumer side of a binding, created by the
// CLI or the konnector on the consumer cluster (docs/controllers.md §1.4).
import { array, immutable, named, object, required, string } from '../../schema/builder.ts';
import {
  ageColumn,
  conditionColumn,
  kindSchema,
  type CRDDefinition,
  type PrinterColumn,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import {
  clusterSecretKeyRef,
  conditions,
  conditionsStatus,
  group,
  groupResource,
  permissionClaim,
} from './shared.ts';
import { apiServiceBindingV1alpha1 } from './v1alpha1.ts';

const bindingColumns: readonly PrinterColumn[] = [
  { name: 'Provider', type: 'string', jsonPath: '.status.providerPrettyName' },
  {
    name: 'Resources',
    type: 'string',
    jsonPath: String.raw`.metadata.annotations.kube-bind\.io/resources`,
    priority: 1,
  },
  conditionColumn('Ready', 'Ready'),
  {
    name: 'Message',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].message',
  },
  ageColumn,
];

const kubeconfigSecretRef = required({
  ...clusterSecretKeyRef,
  description: 'The secret holding the kubeconfig of the provider.',
  'x-kubernetes-validations': [immutable('kubeconfigSecretRef is immutable')],
});

export const apiServiceBindingSpec = named(
  'APIServiceBindingSpec',
  object({ kubeconfigSecretRef }),
);

export const apiServiceBindingStatus = named(
  'APIServiceBindingStatus',
  object({
    providerPrettyName: string({ description: 'The provider name, for display.' }),
    conditions,
    boundSchemas: array(groupResource, { minItems: 1 }),
    permissionClaims: array(permissionClaim),
  }),
);

export const apiServiceBinding: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('APIServiceBinding', 'apiservicebindings', {
    shortNames: ['sb'],
    categories: ['kube-bindings'],
  }),
  conversionNone: true,
  versions: [
    apiServiceBindingV1alpha1(bindingColumns),
    storageVersion({
      printerColumns: bindingColumns,
      schema: kindSchema({
        description: 'Binds the APIs of one provider export into this cluster.',
        spec: apiServiceBindingSpec,
        status: apiServiceBindingStatus,
      }),
    }),
  ],
};

export const apiServiceBindingBundle: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('APIServiceBindingBundle', 'apiservicebindingbundles', {
    shortNames: ['sbb'],
    categories: ['kube-bindings'],
  }),
  versions: [
    storageVersion({
      printerColumns: bindingColumns,
      schema: kindSchema({
        description: 'Binds every export of one provider namespace into this cluster.',
        spec: named('APIServiceBindingBundleSpec', object({ kubeconfigSecretRef })),
        status: conditionsStatus('APIServiceBindingBundleStatus'),
      }),
    }),
  ],
};
