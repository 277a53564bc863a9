import type {
  CustomResourceConversion,
  CustomResourceDefinition,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
} from 'kubernetes-types/apiextensions/v1.js';
import { describe, expect, it } from 'vitest';
import { wildwestCRDs } from '../examples/wildwest.ts';
import {
  boundSchemaSpecFromAPIResourceSchema,
  boundSchemaSpecFromCRD,
  boundSchemaToCRD,
  crdToBoundSchema,
  exportedSchemaKey,
  SchemaMappingError,
  type APIResourceSchemaLike,
} from './schema-mapping.ts';
import { sourceSpecHash } from './spec-hash.ts';
import type { BoundSchema, BoundSchemaSpec, BoundSchemaVersion } from './types.gen.ts';

// ---- builders -----------------------------------------------------------------------------

/** An OpenAPI schema, usable both as a CRD's and as a BoundSchema's (an untyped record). */
type Schema = JSONSchemaProps & Record<string, unknown>;

/** A small object schema, told apart by its description. */
function widgetSchema(description: string): Schema {
  return {
    type: 'object',
    description,
    properties: {
      spec: { type: 'object', properties: { size: { type: 'integer', minimum: 0 } } },
      status: { type: 'object', properties: { ready: { type: 'boolean' } } },
    },
  };
}

/** A CRD version with a wrapped schema; served, not the storage version unless overridden. */
function crdVersion(
  name: string,
  extra: Partial<CustomResourceDefinitionVersion> = {},
): CustomResourceDefinitionVersion {
  return {
    name,
    served: true,
    storage: false,
    schema: { openAPIV3Schema: widgetSchema(`A widget (${name}).`) },
    ...extra,
  };
}

/** widgets.example.com with one storage version `v1`, unless the spec fields are overridden. */
function widgetCRD(spec: Partial<CustomResourceDefinitionSpec> = {}): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', labels: { 'kube-bind.io/exported': 'true' } },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [crdVersion('v1', { storage: true })],
      ...spec,
    },
  };
}

const webhookConversion: CustomResourceConversion = {
  strategy: 'Webhook',
  webhook: {
    clientConfig: {
      url: 'https://convert.example.com/widgets',
      caBundle: 'Y2EtYnVuZGxl',
      service: { namespace: 'widgets', name: 'converter', path: '/convert', port: 8443 },
    },
    conversionReviewVersions: ['v1', 'v1beta1'],
  },
};

/**
 * A CRD using every field a BoundSchema carries, plus some it does not: a names field outside
 * the six, `preserveUnknownFields`, a version's `selectableFields`, a webhook's `service`.
 */
function fullCRD(): CustomResourceDefinition {
  return widgetCRD({
    names: {
      plural: 'widgets',
      singular: 'widget',
      shortNames: ['wd', 'wdg'],
      kind: 'Widget',
      listKind: 'WidgetList',
      categories: ['all', 'gadgets'],
      // Not a CRD names field; only the six known ones are copied.
      ...({ extraName: 'dropped' } as object),
    },
    preserveUnknownFields: false,
    conversion: webhookConversion,
    versions: [
      crdVersion('v1', {
        storage: true,
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.size',
            statusReplicasPath: '.status.size',
            labelSelectorPath: '.status.selector',
          },
        },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size', description: 'How big.' },
          {
            name: 'Created',
            type: 'date',
            format: 'date-time',
            priority: 1,
            jsonPath: '.metadata.creationTimestamp',
          },
        ],
        selectableFields: [{ jsonPath: '.spec.size' }],
      }),
      crdVersion('v1beta1', {
        deprecated: true,
        deprecationWarning: 'example.com/v1beta1 Widget is deprecated; use v1',
      }),
      crdVersion('v1alpha1', { served: false }),
    ],
  });
}

/** What boundSchemaSpecFromCRD makes of fullCRD() with informer scope Namespaced. */
function fullSpec(): BoundSchemaSpec {
  return {
    informerScope: 'Namespaced',
    group: 'example.com',
    names: {
      plural: 'widgets',
      singular: 'widget',
      shortNames: ['wd', 'wdg'],
      kind: 'Widget',
      listKind: 'WidgetList',
      categories: ['all', 'gadgets'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: widgetSchema('A widget (v1).') },
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.size',
            statusReplicasPath: '.status.size',
            labelSelectorPath: '.status.selector',
          },
        },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size', description: 'How big.' },
          {
            name: 'Created',
            type: 'date',
            format: 'date-time',
            priority: 1,
            jsonPath: '.metadata.creationTimestamp',
          },
        ],
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        deprecated: true,
        deprecationWarning: 'example.com/v1beta1 Widget is deprecated; use v1',
        schema: { openAPIV3Schema: widgetSchema('A widget (v1beta1).') },
      },
      {
        name: 'v1alpha1',
        served: false,
        storage: false,
        schema: { openAPIV3Schema: widgetSchema('A widget (v1alpha1).') },
      },
    ],
    conversion: {
      strategy: 'Webhook',
      webhook: {
        clientConfig: { url: 'https://convert.example.com/widgets', caBundle: 'Y2EtYnVuZGxl' },
        conversionReviewVersions: ['v1', 'v1beta1'],
      },
    },
  };
}

/** A BoundSchema spec with one version `v1` holding `schema` as stored. */
function boundSpec(
  schema: Record<string, unknown>,
  extra: Partial<BoundSchemaSpec> = {},
): BoundSchemaSpec {
  return {
    informerScope: 'Cluster',
    group: 'example.com',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema }],
    ...extra,
  };
}

// ---- helpers ------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Every object and array reachable from `value`. */
function objectsIn(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !into.has(value)) {
    into.add(value);
    for (const child of Object.values(value)) objectsIn(child, into);
  }
  return into;
}

/** The objects reachable from both values (none, if one is a deep copy of parts of the other). */
function sharedObjects(a: unknown, b: unknown): object[] {
  const inA = objectsIn(a);
  return [...objectsIn(b)].filter((o) => inA.has(o));
}

/** A deep copy with every object's keys in reverse order. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => reverseKeys(item)) as T;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).reverse();
    return Object.fromEntries(entries.map(([k, v]) => [k, reverseKeys(v)])) as T;
  }
  return value;
}

function specOf(schema: BoundSchema): BoundSchemaSpec {
  if (!schema.spec) throw new Error(`BoundSchema ${schema.metadata?.name ?? ''} has no spec`);
  return schema.spec;
}

/** The bare OpenAPI schema of each version of a CRD. */
function openAPISchemas(crd: CustomResourceDefinition): (JSONSchemaProps | undefined)[] {
  return crd.spec.versions.map((v) => v.schema?.openAPIV3Schema);
}

function wildwest(): { cowboys: CustomResourceDefinition; sheriffs: CustomResourceDefinition } {
  const [cowboys, sheriffs] = wildwestCRDs();
  if (!cowboys || !sheriffs) throw new Error('wildwestCRDs() should return two CRDs');
  return { cowboys, sheriffs };
}

// ---- tests --------------------------------------------------------------------------------

describe('boundSchemaSpecFromCRD', () => {
  it('copies exactly the fields a BoundSchema has, keeping the {openAPIV3Schema} wrapper', () => {
    expect(boundSchemaSpecFromCRD(fullCRD(), 'Namespaced')).toStrictEqual(fullSpec());
  });

  it('drops what a BoundSchema lacks: selectableFields, a webhook’s service, preserveUnknownFields', () => {
    const spec = boundSchemaSpecFromCRD(fullCRD(), 'Namespaced');
    expect(spec).not.toHaveProperty('preserveUnknownFields');
    expect(spec.names).not.toHaveProperty('extraName');
    expect(spec.versions[0]).not.toHaveProperty('selectableFields');
    expect(spec.conversion?.webhook?.clientConfig).not.toHaveProperty('service');
  });

  it('copies every version, served or not, in order', () => {
    const spec = boundSchemaSpecFromCRD(fullCRD(), 'Namespaced');
    expect(spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1', true, true],
      ['v1beta1', true, false],
      ['v1alpha1', false, false],
    ]);
  });

  it('takes the informer scope from the argument, not from the CRD', () => {
    const crd = widgetCRD({ scope: 'Namespaced' });
    expect(boundSchemaSpecFromCRD(crd, 'Cluster')).toMatchObject({
      informerScope: 'Cluster',
      scope: 'Namespaced',
    });
    expect(boundSchemaSpecFromCRD(crd, 'Namespaced').informerScope).toBe('Namespaced');
  });

  it('copies a None conversion as just the strategy', () => {
    const crd = widgetCRD({
      versions: [crdVersion('v1', { storage: true }), crdVersion('v2')],
      conversion: { strategy: 'None' },
    });
    expect(boundSchemaSpecFromCRD(crd, 'Cluster').conversion).toStrictEqual({ strategy: 'None' });
  });

  it('copies a Webhook conversion’s url, caBundle and review versions', () => {
    const crd = widgetCRD({ conversion: webhookConversion });
    expect(boundSchemaSpecFromCRD(crd, 'Cluster').conversion).toStrictEqual({
      strategy: 'Webhook',
      webhook: {
        clientConfig: { url: 'https://convert.example.com/widgets', caBundle: 'Y2EtYnVuZGxl' },
        conversionReviewVersions: ['v1', 'v1beta1'],
      },
    });
  });

  it('has no conversion when the CRD has none', () => {
    expect(boundSchemaSpecFromCRD(widgetCRD(), 'Cluster')).not.toHaveProperty('conversion');
  });

  it('does not mutate its (deep-frozen) input', () => {
    const crd = deepFreeze(fullCRD());
    expect(boundSchemaSpecFromCRD(crd, 'Namespaced')).toStrictEqual(fullSpec());
    expect(crd).toStrictEqual(fullCRD());
  });

  it('shares no object with its input', () => {
    const crd = fullCRD();
    const spec = boundSchemaSpecFromCRD(crd, 'Namespaced');
    expect(sharedObjects(crd, spec)).toEqual([]);

    // So changing the output in place leaves the CRD as it was.
    const [v1] = spec.versions;
    if (!v1) throw new Error('no version');
    v1.name = 'v9';
    (v1.schema['openAPIV3Schema'] as JSONSchemaProps).description = 'changed';
    if (v1.subresources?.scale) v1.subresources.scale.specReplicasPath = '.spec.other';
    v1.additionalPrinterColumns?.push({ name: 'X', type: 'string', jsonPath: '.x' });
    spec.names.shortNames?.push('w');
    spec.names.categories?.pop();
    spec.conversion?.webhook?.conversionReviewVersions?.push('v2');
    if (spec.conversion?.webhook?.clientConfig) spec.conversion.webhook.clientConfig.url = 'x';
    expect(crd).toStrictEqual(fullCRD());
  });
});

describe('boundSchemaSpecFromAPIResourceSchema', () => {
  const apiResourceSchema: APIResourceSchemaLike = {
    metadata: { name: 'v250101.widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: widgetSchema('A bare widget.'),
          subresources: { status: {} },
        },
      ],
    },
  };

  it('keeps the bare schema bare', () => {
    expect(boundSchemaSpecFromAPIResourceSchema(apiResourceSchema, 'Namespaced')).toStrictEqual({
      informerScope: 'Namespaced',
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: widgetSchema('A bare widget.'),
          subresources: { status: {} },
        },
      ],
    } satisfies BoundSchemaSpec);
  });
});

describe('exportedSchemaKey', () => {
  it('is `<plural>.<group>`', () => {
    expect(
      exportedSchemaKey({ group: 'wildwest.dev', names: { plural: 'cowboys', kind: 'Cowboy' } }),
    ).toBe('cowboys.wildwest.dev');
    expect(exportedSchemaKey(boundSchemaSpecFromCRD(fullCRD(), 'Cluster'))).toBe(
      'widgets.example.com',
    );
  });
});

describe('crdToBoundSchema', () => {
  it('names the BoundSchema after the CRD, with an optional prefix', () => {
    const { cowboys } = wildwest();
    expect(crdToBoundSchema(cowboys).metadata?.name).toBe('cowboys.wildwest.dev');
    expect(crdToBoundSchema(cowboys, 'acme').metadata?.name).toBe('acme.cowboys.wildwest.dev');
  });

  it('builds a kube-bind.io/v1alpha2 BoundSchema whose informer scope is the CRD’s scope', () => {
    const { cowboys, sheriffs } = wildwest();
    const cowboySchema = crdToBoundSchema(cowboys);
    expect(cowboySchema.apiVersion).toBe('kube-bind.io/v1alpha2');
    expect(cowboySchema.kind).toBe('BoundSchema');
    expect(specOf(cowboySchema)).toMatchObject({
      informerScope: 'Namespaced',
      scope: 'Namespaced',
    });
    expect(specOf(crdToBoundSchema(sheriffs))).toMatchObject({
      informerScope: 'Cluster',
      scope: 'Cluster',
    });
  });

  it('stores each version’s schema bare, the rest as boundSchemaSpecFromCRD', () => {
    const spec = specOf(crdToBoundSchema(fullCRD()));
    const expected = fullSpec();
    expect(spec).toStrictEqual({
      ...expected,
      versions: expected.versions.map((v): BoundSchemaVersion => ({
        ...v,
        schema: v.schema['openAPIV3Schema'] as Schema,
      })),
    });
    expect(spec.versions.map((v) => v.schema['description'])).toEqual([
      'A widget (v1).',
      'A widget (v1beta1).',
      'A widget (v1alpha1).',
    ]);
  });

  it('rejects a CRD without versions', () => {
    expect(() => crdToBoundSchema(widgetCRD({ versions: [] }))).toThrow(SchemaMappingError);
  });

  it('rejects several versions without a conversion strategy', () => {
    const crd = widgetCRD({ versions: [crdVersion('v1', { storage: true }), crdVersion('v2')] });
    expect(() => crdToBoundSchema(crd)).toThrow(SchemaMappingError);
  });

  it('accepts several versions with conversion None', () => {
    const crd = widgetCRD({
      versions: [crdVersion('v1', { storage: true }), crdVersion('v2')],
      conversion: { strategy: 'None' },
    });
    const spec = specOf(crdToBoundSchema(crd));
    expect(spec.versions.map((v) => v.name)).toEqual(['v1', 'v2']);
    expect(spec.conversion).toStrictEqual({ strategy: 'None' });
  });
});

describe('boundSchemaToCRD', () => {
  const schema = widgetSchema('A widget.');

  it('names the CRD `<plural>.<group>`', () => {
    const crd = boundSchemaToCRD(boundSpec(schema));
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata?.name).toBe('widgets.example.com');
  });

  it('accepts both the wrapped and the bare schema shape', () => {
    const fromWrapper = boundSchemaToCRD(boundSpec({ openAPIV3Schema: schema }));
    const fromBare = boundSchemaToCRD(boundSpec(schema));
    expect(openAPISchemas(fromWrapper)).toStrictEqual([schema]);
    expect(openAPISchemas(fromBare)).toStrictEqual([schema]);
  });

  it('treats a wrapper whose openAPIV3Schema is null as the schema itself', () => {
    const crd = boundSchemaToCRD(boundSpec({ openAPIV3Schema: null }));
    expect(openAPISchemas(crd)).toStrictEqual([{ openAPIV3Schema: null }]);
  });

  it('always sets subresources, `{}` when the BoundSchema has none', () => {
    const spec = boundSpec(schema, {
      versions: [
        { name: 'v1', served: true, storage: true, schema, subresources: { status: {} } },
        { name: 'v2', served: true, storage: false, schema },
      ],
    });
    expect(boundSchemaToCRD(spec).spec.versions.map((v) => v.subresources)).toStrictEqual([
      { status: {} },
      {},
    ]);
  });

  it('copies a Webhook conversion with its clientConfig and review versions', () => {
    const crd = boundSchemaToCRD(
      boundSpec(schema, {
        conversion: {
          strategy: 'Webhook',
          webhook: {
            clientConfig: { url: 'https://convert.example.com/widgets', caBundle: 'Y2E=' },
            conversionReviewVersions: ['v1'],
          },
        },
      }),
    );
    expect(crd.spec.conversion).toStrictEqual({
      strategy: 'Webhook',
      webhook: {
        clientConfig: { url: 'https://convert.example.com/widgets', caBundle: 'Y2E=' },
        conversionReviewVersions: ['v1'],
      },
    });
  });

  it('copies a None conversion without a webhook', () => {
    const crd = boundSchemaToCRD(
      boundSpec(schema, {
        conversion: {
          strategy: 'None',
          webhook: { clientConfig: { url: 'https://ignored' }, conversionReviewVersions: ['v1'] },
        },
      }),
    );
    expect(crd.spec.conversion).toStrictEqual({ strategy: 'None' });
  });

  it('has no conversion when the BoundSchema has none', () => {
    expect(boundSchemaToCRD(boundSpec(schema)).spec).not.toHaveProperty('conversion');
  });

  it('copies versions’ flags and printer columns', () => {
    const crd = boundSchemaToCRD(boundSchemaSpecFromCRD(fullCRD(), 'Namespaced'));
    expect(crd.spec.versions).toStrictEqual(
      fullCRD().spec.versions.map(({ selectableFields: _, ...v }) => ({
        ...v,
        subresources: v.subresources ?? {},
      })),
    );
  });
});

describe('round trip of the wildwest CRDs', () => {
  for (const crd of wildwestCRDs()) {
    const name = crd.metadata?.name ?? '';

    it(`${name}: CRD → boundSchemaSpecFromCRD → boundSchemaToCRD`, () => {
      const back = boundSchemaToCRD(boundSchemaSpecFromCRD(crd, 'Namespaced'));
      expect(back.metadata?.name).toBe(name);
      expect(back.spec).toStrictEqual(crd.spec);
    });

    it(`${name}: CRD → crdToBoundSchema → boundSchemaToCRD`, () => {
      const back = boundSchemaToCRD(specOf(crdToBoundSchema(crd)));
      expect(back.metadata?.name).toBe(name);
      expect(back.spec).toStrictEqual(crd.spec);
    });
  }
});

describe('sourceSpecHash of a mapped CRD', () => {
  it('does not depend on the order of the CRD’s object keys', () => {
    const { cowboys } = wildwest();
    const shuffled = reverseKeys(cowboys);
    // The shuffle did change the order (in the schema too), not the content.
    expect(JSON.stringify(openAPISchemas(shuffled))).not.toBe(
      JSON.stringify(openAPISchemas(cowboys)),
    );
    expect(shuffled).toStrictEqual(cowboys);

    expect(sourceSpecHash(boundSchemaSpecFromCRD(shuffled, 'Namespaced'))).toBe(
      sourceSpecHash(boundSchemaSpecFromCRD(cowboys, 'Namespaced')),
    );
  });

  it('changes when a schema field changes', () => {
    const { cowboys } = wildwest();
    const changed = structuredClone(cowboys);
    const schema = changed.spec.versions[0]?.schema?.openAPIV3Schema;
    if (!schema) throw new Error('cowboys has no schema');
    schema.description = 'A different cowboy.';

    expect(sourceSpecHash(boundSchemaSpecFromCRD(changed, 'Namespaced'))).not.toBe(
      sourceSpecHash(boundSchemaSpecFromCRD(cowboys, 'Namespaced')),
    );
  });
});
