// APIServiceNamespace: one consumer namespace mirrored on the provider; the backend writes the
// provider namespace into its status (docs/controllers.md §1.4, §5.6).
import { named, object, string } from '../../schema/builder.ts';
import {
  ageColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import { group } from './shared.ts';
import { apiServiceNamespaceV1alpha1 } from './v1alpha1.ts';

export const apiServiceNamespaceStatus = named(
  'APIServiceNamespaceStatus',
  object({
    namespace: string({ description: 'The provider namespace that holds the objects.' }),
  }),
);

export const apiServiceNamespace: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('APIServiceNamespace', 'apiservicenamespaces', {
    categories: ['kube-bindings'],
  }),
  conversionNone: true,
  versions: [
    apiServiceNamespaceV1alpha1,
    storageVersion({
      printerColumns: [
        { name: 'Namespace', type: 'string', jsonPath: '.status.namespace' },
        ageColumn,
      ],
      schema: kindSchema({
        description: 'A consumer namespace whose objects the provider receives.',
        spec: named('APIServiceNamespaceSpec', object({})),
        status: apiServiceNamespaceStatus,
      }),
    }),
  ],
};
