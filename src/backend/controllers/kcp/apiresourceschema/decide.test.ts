import { describe, expect, it } from 'vitest';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { APIBinding, APIResourceSchema } from '../../../../apis/kubebind/kcp.ts';
import type { APIServiceExportTemplate } from '../../../../apis/kubebind/types.gen.ts';
import { decideCopy, decideStale, templateOwnerRef, wantedSchemas } from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const template = (uid = 't1', name = 'wildwest-namespaced'): APIServiceExportTemplate => ({
  metadata: { name, uid },
  spec: {
    scope: 'Namespaced',
    resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
  },
});

const source: APIResourceSchema = {
  apiVersion: 'apis.kcp.io/v1alpha1',
  kind: 'APIResourceSchema',
  metadata: {
    name: 'v1.cowboys.wildwest.dev',
    uid: 'source-uid',
    resourceVersion: '9',
    annotations: { 'kcp.io/cluster': 'provider' },
  },
  spec: {
    group: 'wildwest.dev',
    names: { plural: 'cowboys', kind: 'Cowboy' },
    scope: 'Namespaced',
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { type: 'object' } }],
  },
};

const local = (labels: Record<string, string>, refs: OwnerReference[]): APIResourceSchema => ({
  ...source,
  metadata: { ...source.metadata, uid: 'local-uid', labels, ownerReferences: refs },
});

const exported = { 'kube-bind.io/exported': 'true' };
const ref = (t = template()) => templateOwnerRef(t);

// --- wantedSchemas ----------------------------------------------------------------------------

describe('wantedSchemas', () => {
  it('is the schemas behind the bound resources the template lists', () => {
    const binding: APIBinding = {
      metadata: { name: 'wildwest' },
      spec: { reference: { export: { name: 'wildwest.dev' } } },
      status: {
        phase: 'Bound',
        boundResources: [
          { group: 'wildwest.dev', resource: 'sheriffs', schema: { name: 'v1.sheriffs' } },
          { group: 'wildwest.dev', resource: 'cowboys', schema: { name: 'v2.cowboys' } },
          { group: 'other.dev', resource: 'cowboys', schema: { name: 'v1.other-cowboys' } },
        ],
      },
    };
    expect(wantedSchemas(binding, template())).toEqual(['v2.cowboys']);
  });
});

// --- decideCopy -------------------------------------------------------------------------------

describe('decideCopy', () => {
  it('creates a labelled copy of the same name and spec, owned by (not controlled by) the template', () => {
    expect(decideCopy(source, undefined, template())).toEqual({
      kind: 'create',
      schema: {
        apiVersion: 'apis.kcp.io/v1alpha1',
        kind: 'APIResourceSchema',
        metadata: {
          name: 'v1.cowboys.wildwest.dev',
          labels: exported,
          ownerReferences: [
            {
              apiVersion: 'kube-bind.io/v1alpha2',
              kind: 'APIServiceExportTemplate',
              name: 'wildwest-namespaced',
              uid: 't1',
            },
          ],
        },
        spec: source.spec,
      },
    });
  });

  it('does not share the source’s spec object', () => {
    const action = decideCopy(source, undefined, template());
    if (action.kind !== 'create') throw new Error(action.kind);
    expect(action.schema.spec).not.toBe(source.spec);
  });

  it('leaves our labelled copy alone', () => {
    expect(decideCopy(source, local(exported, [ref()]), template())).toEqual({ kind: 'none' });
  });

  it('puts back the label, and our reference to a copy another template owns', () => {
    const other = ref(template('t2', 'other-namespaced'));
    const action = decideCopy(source, local({ team: 'a' }, [other]), template());
    expect(action).toEqual({
      kind: 'update',
      schema: local({ team: 'a', ...exported }, [other, ref()]),
    });
  });

  it('replaces a reference to an older template of the same name', () => {
    const old = ref(template('t0'));
    expect(decideCopy(source, local(exported, [old]), template())).toEqual({
      kind: 'update',
      schema: local(exported, [ref()]),
    });
  });

  it('only labels an original schema of the workspace, never owns it', () => {
    const original = local({}, []);
    expect(decideCopy(source, original, template())).toEqual({
      kind: 'update',
      schema: local(exported, []),
    });
    expect(decideCopy(source, local(exported, []), template())).toEqual({ kind: 'none' });
  });
});

// --- decideStale ------------------------------------------------------------------------------

describe('decideStale', () => {
  const copy = (refs: OwnerReference[], name = 'v1.cowboys.wildwest.dev'): APIResourceSchema => ({
    ...local(exported, refs),
    metadata: { ...local(exported, refs).metadata, name },
  });

  it('keeps a copy the template still wants', () => {
    expect(decideStale(copy([ref()]), template(), ['v1.cowboys.wildwest.dev'])).toEqual({
      kind: 'keep',
    });
  });

  it('keeps what the template does not own', () => {
    expect(decideStale(copy([]), template(), [])).toEqual({ kind: 'keep' });
    expect(decideStale(copy([ref(template('t9'))]), template(), [])).toEqual({ kind: 'keep' });
  });

  it('deletes a copy only this template owns', () => {
    expect(decideStale(copy([ref()]), template(), ['v2.cowboys.wildwest.dev'])).toEqual({
      kind: 'delete',
    });
  });

  it('lets go of a copy another template still owns', () => {
    const other = ref(template('t2', 'other-namespaced'));
    expect(decideStale(copy([ref(), other]), template(), [])).toEqual({
      kind: 'disown',
      schema: copy([other]),
    });
  });
});
