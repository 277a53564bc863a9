// Cluster: the anchor object `default` the backend creates in every provider cluster it serves
// (docs/controllers.md §1.4). Its spec has no fields but must be present.
import { object, required } from '../../schema/builder.ts';
import {
  conditionColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import { conditionsStatus, group } from './shared.ts';

export const cluster: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('Cluster', 'clusters', { categories: ['kube-bind'] }),
  versions: [
    storageVersion({
      printerColumns: [conditionColumn('Ready', 'Ready')],
      schema: kindSchema({
        description: 'The provider cluster the backend serves; one named default.',
        spec: required({ ...object({}), tsName: 'ClusterSpec' }),
        status: conditionsStatus('ClusterStatus'),
      }),
    }),
  ],
};
