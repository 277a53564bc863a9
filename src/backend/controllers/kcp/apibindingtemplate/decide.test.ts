import { describe, expect, it } from 'vitest';
import { ownerBindingAnnotation } from '../../../../apis/kubebind/wire.ts';
import type { APIBinding, APIResourceSchema } from '../../../../apis/kubebind/kcp.ts';
import type { APIServiceExportTemplate } from '../../../../apis/kubebind/types.gen.ts';
import {
  desiredTemplates,
  resolveResource,
  skipReason,
  staleTemplates,
  templateUpdate,
  type ResolvedResource,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const bound = (resource: string, schema = `v1.${resource}.wildwest.dev`) => ({
  group: 'wildwest.dev',
  resource,
  schema: { name: schema, UID: `uid-${schema}`, identityHash: 'h' },
});

const binding = (over: Partial<APIBinding['status']> = {}, name = 'wildwest'): APIBinding => ({
  metadata: { name, uid: 'binding-uid' },
  spec: { reference: { export: { path: 'root:provider', name: 'wildwest.dev' } } },
  status: { phase: 'Bound', boundResources: [bound('cowboys')], ...over },
});

const schema = (
  scope: 'Namespaced' | 'Cluster',
  versions: { name: string; served: boolean }[],
): APIResourceSchema => ({
  metadata: { name: 'v1.cowboys.wildwest.dev' },
  spec: {
    group: 'wildwest.dev',
    names: { plural: 'cowboys', kind: 'Cowboy' },
    scope,
    versions: versions.map((v, i) => ({ ...v, storage: i === 0, schema: {} })),
  },
});

const resolved = (resource: string, scope: 'Namespaced' | 'Cluster'): ResolvedResource => ({
  group: 'wildwest.dev',
  resource,
  scope,
  versions: ['v1alpha1'],
});

const bindingRef = {
  apiVersion: 'apis.kcp.io/v1alpha2',
  kind: 'APIBinding',
  name: 'wildwest',
  uid: 'binding-uid',
};

// --- skipReason -------------------------------------------------------------------------------

describe('skipReason', () => {
  const prefixes = ['kube-bind.io', 'tenancy.kcp.io', 'topology.kcp.io'];

  it('takes a Bound binding with resources', () => {
    expect(skipReason(binding(), prefixes)).toBeUndefined();
  });

  it.each([
    ['kube-bind.io', 'kube-bind.io'],
    ['tenancy.kcp.io-abc', 'tenancy.kcp.io'],
  ])('skips %s (ignored prefix)', (name, prefix) => {
    expect(skipReason(binding({}, name), prefixes)).toBe(
      `its name starts with the ignored prefix ${prefix}`,
    );
  });

  it('does not treat an empty prefix as matching everything', () => {
    expect(skipReason(binding(), [''])).toBeUndefined();
  });

  it('skips a binding that is not Bound, or binds nothing yet', () => {
    expect(skipReason(binding({ phase: 'Binding' }), [])).toMatch(/not Bound \(phase Binding\)/);
    expect(skipReason({ ...binding(), status: {} }, [])).toMatch(/phase unset/);
    expect(skipReason(binding({ boundResources: [] }), [])).toBe('it binds no resources yet');
    expect(skipReason({ ...binding(), status: { phase: 'Bound' } }, [])).toBe(
      'it binds no resources yet',
    );
  });
});

// --- resolveResource --------------------------------------------------------------------------

describe('resolveResource', () => {
  it('lists the served versions in the schema’s order, with its scope', () => {
    const s = schema('Cluster', [
      { name: 'v1', served: true },
      { name: 'v1beta1', served: false },
      { name: 'v2', served: true },
    ]);
    expect(resolveResource(bound('cowboys'), s)).toEqual({
      group: 'wildwest.dev',
      resource: 'cowboys',
      scope: 'Cluster',
      versions: ['v1', 'v2'],
    });
  });

  it('is Namespaced unless the schema says Cluster', () => {
    expect(resolveResource(bound('cowboys'), schema('Namespaced', [])).scope).toBe('Namespaced');
  });
});

// --- desiredTemplates -------------------------------------------------------------------------

describe('desiredTemplates', () => {
  it('makes one template per scope, annotated and owned (not controlled) by the binding', () => {
    const templates = desiredTemplates(binding(), [
      resolved('cowboys', 'Namespaced'),
      resolved('sheriffs', 'Cluster'),
      resolved('horses', 'Namespaced'),
    ]);
    expect(templates).toEqual([
      {
        metadata: {
          name: 'wildwest-namespaced',
          annotations: { [ownerBindingAnnotation]: 'wildwest' },
          ownerReferences: [bindingRef],
        },
        spec: {
          scope: 'Namespaced',
          resources: [
            { group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] },
            { group: 'wildwest.dev', resource: 'horses', versions: ['v1alpha1'] },
          ],
        },
      },
      {
        metadata: {
          name: 'wildwest-cluster',
          annotations: { [ownerBindingAnnotation]: 'wildwest' },
          ownerReferences: [bindingRef],
        },
        spec: {
          scope: 'Cluster',
          resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1alpha1'] }],
        },
      },
    ]);
    expect(templates[0]?.metadata?.ownerReferences?.[0]).not.toHaveProperty('controller');
  });

  it('makes no template for a scope without resources, and none at all without resources', () => {
    expect(
      desiredTemplates(binding(), [resolved('cowboys', 'Namespaced')]).map((t) => t.metadata?.name),
    ).toEqual(['wildwest-namespaced']);
    expect(desiredTemplates(binding(), [])).toEqual([]);
  });

  it('adds no claims, namespaces or schema update policy', () => {
    const [t] = desiredTemplates(binding(), [resolved('cowboys', 'Namespaced')]);
    expect(Object.keys(t?.spec ?? {})).toEqual(['scope', 'resources']);
  });
});

// --- templateUpdate ---------------------------------------------------------------------------

describe('templateUpdate', () => {
  const [desired] = desiredTemplates(binding(), [resolved('cowboys', 'Namespaced')]);
  if (!desired) throw new Error('no desired template');
  const live = (patch: Partial<APIServiceExportTemplate> = {}): APIServiceExportTemplate => ({
    ...structuredClone(desired),
    metadata: { ...structuredClone(desired.metadata), uid: 't1', resourceVersion: '5' },
    ...patch,
  });

  it('leaves an up-to-date template alone, whatever else the provider added', () => {
    expect(templateUpdate(live(), desired)).toBeUndefined();
    const decorated = live();
    decorated.spec.description = 'Cowboys, as a service';
    decorated.spec.permissionClaims = [{ group: '', resource: 'secrets', selector: {} }];
    expect(templateUpdate(decorated, desired)).toBeUndefined();
  });

  it('puts back the resources and scope, keeping what the provider added', () => {
    const changed = live();
    changed.spec.description = 'kept';
    changed.spec.scope = 'Cluster';
    changed.spec.resources = [];
    expect(templateUpdate(changed, desired)).toEqual({
      ...live(),
      spec: { ...desired.spec, description: 'kept' },
    });
  });

  it('replaces the reference to an older binding of the same name, keeping other owners', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c1' };
    const stale = live();
    stale.metadata = {
      ...stale.metadata,
      ownerReferences: [other, { ...bindingRef, uid: 'old-binding-uid' }],
    };
    expect(templateUpdate(stale, desired)?.metadata?.ownerReferences).toEqual([other, bindingRef]);
  });

  it('puts back a removed annotation', () => {
    const bare = live();
    bare.metadata = { ...bare.metadata, annotations: { other: 'x' } };
    expect(templateUpdate(bare, desired)?.metadata?.annotations).toEqual({
      other: 'x',
      [ownerBindingAnnotation]: 'wildwest',
    });
  });
});

// --- staleTemplates ---------------------------------------------------------------------------

describe('staleTemplates', () => {
  it('is what was generated for the binding and is no longer wanted', () => {
    const generated = desiredTemplates(binding(), [
      resolved('cowboys', 'Namespaced'),
      resolved('sheriffs', 'Cluster'),
    ]);
    const now = desiredTemplates(binding(), [resolved('cowboys', 'Namespaced')]);
    expect(staleTemplates(generated, now).map((t) => t.metadata?.name)).toEqual([
      'wildwest-cluster',
    ]);
    expect(staleTemplates(generated, [])).toHaveLength(2);
    expect(staleTemplates(generated, generated)).toEqual([]);
  });
});
