// APIServiceExportTemplate and Collection: what a provider offers, and how its UI groups it
// (docs/controllers.md §1.4). Both are cluster-scoped and written by the provider's admin.
import { array, named, object, required, string } from '../../schema/builder.ts';
import {
  ageColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import {
  conditionsStatus,
  exportResource,
  group,
  scopeAllOf,
  namespaceItem,
  permissionClaim,
  schemaUpdatePolicy,
} from './shared.ts';

export const apiServiceExportTemplateSpec = named(
  'APIServiceExportTemplateSpec',
  object({
    description: string({ description: 'What the template offers, for people choosing it.' }),
    scope: required(
      scopeAllOf('Whether the consumer binds the resources per namespace or cluster-wide.'),
    ),
    resources: required(array(exportResource, { minItems: 1 })),
    permissionClaims: array(permissionClaim),
    namespaces: array(namespaceItem),
    schemaUpdatePolicy,
  }),
);

export const apiServiceExportTemplate: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('APIServiceExportTemplate', 'apiserviceexporttemplates', {
    categories: ['kube-bind'],
  }),
  versions: [
    storageVersion({
      printerColumns: [
        { name: 'Resources', type: 'string', jsonPath: '.spec.resources[*].group' },
        {
          name: 'PermissionClaims',
          type: 'string',
          jsonPath: '.spec.permissionClaims[*].resource',
        },
        ageColumn,
      ],
      schema: kindSchema({
        description: 'A set of resources a consumer can bind as one export.',
        spec: required(apiServiceExportTemplateSpec),
        status: conditionsStatus('APIServiceExportTemplateStatus'),
      }),
    }),
  ],
};

export const collectionSpec = named(
  'CollectionSpec',
  object({
    description: string({ description: 'What the collection groups.' }),
    templates: required(
      array(object({ name: required(string({ description: 'A template name.' })) }), {
        minItems: 1,
      }),
    ),
  }),
);

export const collection: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('Collection', 'collections', { categories: ['kube-bind'] }),
  versions: [
    storageVersion({
      printerColumns: [
        { name: 'Description', type: 'string', jsonPath: '.spec.description' },
        { name: 'Templates', type: 'string', jsonPath: '.spec.templates[*].name' },
        ageColumn,
      ],
      schema: kindSchema({
        description: 'Groups export templates for the provider UI.',
        spec: required(collectionSpec),
        status: conditionsStatus('CollectionStatus'),
      }),
    }),
  ],
};
