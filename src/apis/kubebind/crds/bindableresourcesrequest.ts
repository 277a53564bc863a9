// BindableResourcesRequest: the body of POST /api/bind, and a CRD the backend reconciles when its
// front end is disabled (docs/controllers.md §1.4, §5.7). Unlike the other kinds its conditions
// are metav1.Condition.
import {
  dateTime,
  integer,
  named,
  object,
  oneOf,
  required,
  string,
  array,
} from '../../schema/builder.ts';
import {
  ageColumn,
  kindSchema,
  type CRDDefinition,
  storageVersion,
  kindNames,
} from '../../schema/crd.ts';
import { group, localSecretKeyRef, requestPhase } from './shared.ts';

/** The standard metav1.Condition schema. */
export const metav1Condition = named(
  'MetaCondition',
  object({
    type: required(
      string({
        maxLength: 316,
        pattern: String.raw`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`,
      }),
    ),
    status: required(
      named('ConditionStatus', oneOf(['True', 'False', 'Unknown']), 'The status of a condition.'),
    ),
    observedGeneration: integer({ format: 'int64', minimum: 0 }),
    lastTransitionTime: required(dateTime()),
    reason: required(
      string({
        maxLength: 1024,
        minLength: 1,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
    ),
    message: required(string({ maxLength: 32768 })),
  }),
);

export const bindableResourcesRequestSpec = named(
  'BindableResourcesRequestSpec',
  object({
    templateRef: named(
      'TemplateRef',
      object({ name: required(string({ description: 'The APIServiceExportTemplate name.' })) }),
    ),
    clusterIdentity: required(
      named(
        'ClusterIdentity',
        object({
          identity: string({ description: 'A stable identity of the consumer cluster.' }),
          prettyName: string({ description: 'A display name of the consumer cluster.' }),
        }),
      ),
    ),
    author: required(string({ description: 'Who asked; the OIDC subject in the HTTP flow.' })),
    kubeconfigSecretRef: localSecretKeyRef,
    ttlAfterFinished: string({ description: 'How long a finished request is kept.' }),
  }),
);

export const bindableResourcesRequestStatus = named(
  'BindableResourcesRequestStatus',
  object(
    {
      phase: requestPhase,
      namespace: string({ description: 'The contract namespace provisioned for the consumer.' }),
      kubeconfigSecretRef: named(
        'SecretKeyRef',
        object(
          { name: required(string({ minLength: 1 })), key: required(string()) },
          { description: 'The issued kubeconfig.' },
        ),
      ),
      completionTime: dateTime({ description: 'When the request finished.' }),
      conditions: array(metav1Condition),
    },
    { default: {} },
  ),
);

export const bindableResourcesRequest: CRDDefinition = {
  group,
  scope: 'Namespaced',
  names: kindNames('BindableResourcesRequest', 'bindableresourcesrequests', {
    categories: ['kube-bindings'],
  }),
  versions: [
    storageVersion({
      printerColumns: [
        { name: 'Template', type: 'string', jsonPath: '.spec.templateRef.name' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ageColumn,
      ],
      schema: kindSchema({
        description: 'A request to provision a consumer and bind a template.',
        spec: required(bindableResourcesRequestSpec),
        status: bindableResourcesRequestStatus,
      }),
    }),
  ],
};
