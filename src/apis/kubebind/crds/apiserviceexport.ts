// APIServiceExport: what the provider exports to one consumer; the backend creates it from a
// request of the same name (docs/controllers.md §1.4, §5.3). The whole spec is immutable.
import { array, immutable, named, object, required } from '../../schema/builder.ts';
import {
  ageColumn,
  conditionColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import {
  conditionsStatus,
  exportResource,
  group,
  informerScope,
  isolation,
  permissionClaim,
} from './shared.ts';
import { apiServiceExportV1alpha1 } from './v1alpha1.ts';

const withRule = <T extends object>(schema: T, message: string): T => ({
  ...schema,
  'x-kubernetes-validations': [immutable(message)],
});

export const apiServiceExportSpec = named(
  'APIServiceExportSpec',
  object({
    resources: required(
      withRule(array(exportResource, { minItems: 1 }), 'resources are immutable'),
    ),
    permissionClaims: withRule(array(permissionClaim), 'permissionClaims are immutable'),
    informerScope: required(withRule(informerScope, 'informerScope is immutable')),
    clusterScopedIsolation: withRule(
      { ...isolation, description: 'Deprecated: use isolation.' },
      'clusterScopedIsolation is immutable',
    ),
    isolation: required(withRule(isolation, 'isolation is immutable')),
  }),
);

export const apiServiceExport: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('APIServiceExport', 'apiserviceexports', { categories: ['kube-bindings'] }),
  conversionNone: true,
  versions: [
    apiServiceExportV1alpha1,
    storageVersion({
      printerColumns: [conditionColumn('Established', 'Established', 5), ageColumn],
      schema: kindSchema({
        description: 'Resources the provider exports to one consumer.',
        spec: required(apiServiceExportSpec),
        status: conditionsStatus('APIServiceExportStatus'),
      }),
    }),
  ],
};
