// The example provider APIs of the dev environment, the docs and the tests: cowboys (namespaced)
// and sheriffs (cluster-scoped) in the group wildwest.dev, each labelled for export, with an
// APIServiceExportTemplate each and a Collection that holds both.
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { array, integer, object, required, string } from '../schema/builder.ts';
import {
  ageColumn,
  kindSchema,
  toCRD,
  type CRDDefinition,
  type PrinterColumn,
  storageVersion,
  kindNames,
} from '../schema/crd.ts';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import {
  kubeBindAPIVersion,
  type APIServiceExportTemplate,
  type Collection,
  type KindRef,
} from '../kubebind/types.gen.ts';
import { exportedLabel } from '../kubebind/wire.ts';

export const wildwestGroup = 'wildwest.dev';

const intent = string({ description: 'What the consumer wants to happen.' });
const result = object(
  { result: string({ description: 'What the provider did about it.' }) },
  { description: 'Written by the provider.' },
);

const columns: readonly PrinterColumn[] = [
  { name: 'Intent', type: 'string', jsonPath: '.spec.intent' },
  { name: 'Result', type: 'string', jsonPath: '.status.result' },
  ageColumn,
];

const cowboys: CRDDefinition = {
  group: wildwestGroup,
  scope: 'Namespaced',
  names: kindNames('Cowboy', 'cowboys'),
  versions: [
    storageVersion({
      name: 'v1alpha1',
      printerColumns: columns,
      schema: kindSchema({
        description: 'A cowboy, served by the provider in the consumer’s namespace.',
        spec: required(
          object({
            intent,
            horse: string({ description: 'The name of the horse.' }),
            secretRefs: array(object({ name: required(string()) }), {
              description: 'Secrets the cowboy needs, synced by a permission claim.',
            }),
          }),
        ),
        status: result,
      }),
    }),
  ],
};

const sheriffs: CRDDefinition = {
  group: wildwestGroup,
  scope: 'Cluster',
  names: kindNames('Sheriff', 'sheriffs'),
  versions: [
    storageVersion({
      name: 'v1alpha1',
      printerColumns: columns,
      schema: kindSchema({
        description: 'A sheriff, cluster-scoped.',
        spec: required(
          object({
            intent,
            deputies: integer({ description: 'How many deputies ride along.', minimum: 0 }),
          }),
        ),
        status: result,
      }),
    }),
  ],
};

const exported = (def: CRDDefinition): CustomResourceDefinition => {
  const crd = toCRD(def);
  return { ...crd, metadata: { ...crd.metadata, labels: { [exportedLabel]: 'true' } } };
};

/** The example kinds as definitions (e.g. for kcp APIResourceSchemas: `toAPIResourceSchema`). */
export function wildwestDefinitions(): CRDDefinition[] {
  return [cowboys, sheriffs];
}

/** The example CRDs, labelled `kube-bind.io/exported=true`. */
export function wildwestCRDs(): CustomResourceDefinition[] {
  return [exported(cowboys), exported(sheriffs)];
}

/** One template per example API. */
export function wildwestTemplates(): APIServiceExportTemplate[] {
  return [
    {
      apiVersion: kubeBindAPIVersion,
      kind: 'APIServiceExportTemplate',
      metadata: { name: 'cowboys' },
      spec: {
        description: 'Cowboys in your namespaces, with the secrets they reference.',
        scope: 'Namespaced',
        resources: [{ group: wildwestGroup, resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [
          {
            group: '',
            resource: 'secrets',
            selector: {
              references: [
                {
                  group: wildwestGroup,
                  resource: 'cowboys',
                  versions: ['v1alpha1'],
                  jsonPath: { name: 'spec.secretRefs.#.name' },
                },
              ],
            },
          },
        ],
      },
    },
    {
      apiVersion: kubeBindAPIVersion,
      kind: 'APIServiceExportTemplate',
      metadata: { name: 'sheriffs' },
      spec: {
        description: 'Sheriffs for your whole cluster.',
        scope: 'Cluster',
        resources: [{ group: wildwestGroup, resource: 'sheriffs', versions: ['v1alpha1'] }],
      },
    },
  ];
}

/** The collection that groups both templates. */
export function wildwestCollection(): Collection {
  return {
    apiVersion: kubeBindAPIVersion,
    kind: 'Collection',
    metadata: { name: 'wildwest' },
    spec: {
      description: 'The Wild West: cowboys and sheriffs.',
      templates: [{ name: 'cowboys' }, { name: 'sheriffs' }],
    },
  };
}

/** A cowboy or sheriff as plain JSON (tests, benchmarks and the docs create them). */
export interface WildwestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    intent?: string;
    horse?: string;
    secretRefs?: { name: string }[];
    deputies?: number;
  };
  status?: { result?: string };
}

const wildwestKind = (
  resource: string,
  kind: string,
  namespaced: boolean,
): KindRef<WildwestObject> => ({
  group: wildwestGroup,
  version: 'v1alpha1',
  resource,
  kind,
  namespaced,
});

/** Typed handles of the example resources for the kube client. */
export const Cowboys = wildwestKind('cowboys', 'Cowboy', true);
export const Sheriffs = wildwestKind('sheriffs', 'Sheriff', false);
