// APIServiceExportRequest: a consumer asks for an export; the backend answers in its status
// (docs/controllers.md §1.4, §5.5). The whole spec is immutable.
import {
  array,
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
import {
  conditions,
  exportResource,
  group,
  namespaceItem,
  permissionClaim,
  requestPhase,
  schemaUpdatePolicy,
} from './shared.ts';
import { apiServiceExportRequestV1alpha1 } from './v1alpha1.ts';

export const apiServiceExportRequestSpec = named(
  'APIServiceExportRequestSpec',
  object({
    parameters: freeForm({
      description: 'Provider-specific parameters, kept as sent.',
      'x-kubernetes-validations': [immutable('parameters are immutable')],
    }),
    resources: required(
      array(exportResource, {
        minItems: 1,
        'x-kubernetes-validations': [immutable('resources are immutable')],
      }),
    ),
    permissionClaims: array(permissionClaim, {
      'x-kubernetes-validations': [immutable('permissionClaims are immutable')],
    }),
    namespaces: array(namespaceItem, {
      'x-kubernetes-validations': [immutable('namespaces are immutable')],
    }),
    schemaUpdatePolicy: {
      ...schemaUpdatePolicy,
      'x-kubernetes-validations': [immutable('schemaUpdatePolicy is immutable')],
    },
  }),
);

export const apiServiceExportRequestStatus = named(
  'APIServiceExportRequestStatus',
  object(
    {
      phase: requestPhase,
      terminalMessage: string({ description: 'Why the request failed.' }),
      conditions,
    },
    { default: {} },
  ),
);

export const apiServiceExportRequest: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('APIServiceExportRequest', 'apiserviceexportrequests', {
    categories: ['kube-bindings'],
  }),
  conversionNone: true,
  versions: [
    apiServiceExportRequestV1alpha1,
    storageVersion({
      printerColumns: [conditionColumn('Ready', 'Ready'), ageColumn],
      schema: kindSchema({
        description: 'A request to export resources to the consumer.',
        spec: required(apiServiceExportRequestSpec),
        status: apiServiceExportRequestStatus,
      }),
    }),
  ],
};
