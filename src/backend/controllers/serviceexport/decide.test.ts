import { describe, expect, it } from 'vitest';
import { sourceSpecHashOf } from '../../../apis/kubebind/spec-hash.ts';
import type {
  APIServiceExport,
  BoundSchema,
  BoundSchemaSpec,
} from '../../../apis/kubebind/types.gen.ts';
import { sourceSpecHashAnnotation } from '../../../apis/kubebind/wire.ts';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import {
  boundSchemaNames,
  decideExport,
  exportConditions,
  missingSchemaGraceMs,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';

const spec = (group: string, plural: string, kind: string): BoundSchemaSpec => ({
  informerScope: 'Namespaced',
  group,
  names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
  scope: 'Namespaced',
  versions: [
    {
      name: 'v1',
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  ],
});

const widgets = spec('example.com', 'widgets', 'Widget');
const configmaps = spec('', 'configmaps', 'ConfigMap');

const exportOf = (
  resources: { group?: string; resource: string }[],
  hash?: string,
): APIServiceExport => ({
  metadata: {
    name: 'widgets',
    namespace: contract,
    ...(hash !== undefined && { annotations: { [sourceSpecHashAnnotation]: hash } }),
  },
  spec: { resources, informerScope: 'Namespaced', isolation: 'Prefixed' },
});

const bothResources = [{ group: 'example.com', resource: 'widgets' }, { resource: 'configmaps' }];

/** A lookup of BoundSchemas by name, as the cache answers it. */
const schemas =
  (entries: Record<string, BoundSchemaSpec | undefined>) =>
  (name: string): BoundSchema | undefined => {
    if (!(name in entries)) return undefined;
    const s = entries[name];
    return { metadata: { name, namespace: contract }, ...(s && { spec: s }) };
  };

const now = Date.parse('2026-12-07T10:00:00Z');

const both = schemas({ 'widgets.example.com': widgets, 'configmaps.core': configmaps });

// --- tests ------------------------------------------------------------------------------------

describe('boundSchemaNames', () => {
  it('names the schemas in resource order, with core for the empty group', () => {
    expect(
      boundSchemaNames(exportOf([...bothResources, { group: '', resource: 'secrets' }])),
    ).toEqual(['widgets.example.com', 'configmaps.core', 'secrets.core']);
  });
});

describe('decideExport', () => {
  it('names a missing schema', () => {
    const lookup = schemas({ 'widgets.example.com': widgets });
    expect(decideExport(exportOf(bothResources), lookup, now)).toEqual({
      kind: 'missing-schemas',
      message: `BoundSchema configmaps.core not found in ${contract}`,
    });
  });

  it('names several missing schemas, in resource order', () => {
    expect(decideExport(exportOf(bothResources), schemas({}), now)).toEqual({
      kind: 'missing-schemas',
      message: `BoundSchemas widgets.example.com, configmaps.core not found in ${contract}`,
    });
  });

  it('counts a schema without spec as missing', () => {
    const lookup = schemas({ 'widgets.example.com': undefined, 'configmaps.core': configmaps });
    expect(decideExport(exportOf(bothResources), lookup, now)).toEqual({
      kind: 'missing-schemas',
      message: `BoundSchema widgets.example.com not found in ${contract}`,
    });
  });

  it('sets the hash of the specs, in the export resource order, when the annotation differs', () => {
    const hash = sourceSpecHashOf([widgets, configmaps]);
    expect(hash).not.toBe(sourceSpecHashOf([configmaps, widgets]));
    expect(decideExport(exportOf(bothResources), both, now)).toEqual({ kind: 'set-hash', hash });
    expect(decideExport(exportOf(bothResources, 'stale'), both, now)).toEqual({
      kind: 'set-hash',
      hash,
    });
    expect(decideExport(exportOf([...bothResources].reverse()), both, now)).toEqual({
      kind: 'set-hash',
      hash: sourceSpecHashOf([configmaps, widgets]),
    });
  });

  it('is in sync when the annotation is the hash', () => {
    const exp = exportOf(bothResources, sourceSpecHashOf([widgets, configmaps]));
    expect(decideExport(exp, both, now)).toEqual({ kind: 'in-sync' });
  });

  it('notices a changed schema', () => {
    const exp = exportOf(bothResources, sourceSpecHashOf([widgets, configmaps]));
    const changed = { ...widgets, scope: 'Cluster' as const };
    const lookup = schemas({ 'widgets.example.com': changed, 'configmaps.core': configmaps });
    expect(decideExport(exp, lookup, now)).toEqual({
      kind: 'set-hash',
      hash: sourceSpecHashOf([changed, configmaps]),
    });
  });

  it('awaits the schemas of an export made a moment ago, then names them missing', () => {
    const bornAgo = (ms: number): APIServiceExport => {
      const exp = exportOf(bothResources);
      exp.metadata = {
        ...exp.metadata,
        creationTimestamp: new Date(now - ms).toISOString(),
      };
      return exp;
    };
    expect(decideExport(bornAgo(1_000), schemas({}), now)).toEqual({
      kind: 'await-schemas',
      afterMs: missingSchemaGraceMs - 1_000,
    });
    expect(decideExport(bornAgo(missingSchemaGraceMs), schemas({}), now).kind).toBe(
      'missing-schemas',
    );
    // A clock behind the apiserver's: reported at once rather than waited for without bound.
    expect(decideExport(bornAgo(-60_000), schemas({}), now).kind).toBe('missing-schemas');
    // The grace is only for missing schemas.
    expect(decideExport(bornAgo(1_000), both, now).kind).toBe('set-hash');
  });
});

describe('exportConditions', () => {
  const konnectorCondition: Condition = {
    type: 'ConsumerInSync',
    status: 'True',
    lastTransitionTime: '2026-12-07T09:00:00Z',
  };
  const withConditions = (conditions: Condition[]): APIServiceExport => ({
    ...exportOf(bothResources),
    status: { conditions },
  });

  it('sets ProviderInSync=True when in sync, keeping the other conditions', () => {
    const next = exportConditions(withConditions([konnectorCondition]), { kind: 'in-sync' }, now);
    expect(next).toEqual([
      konnectorCondition,
      { type: 'ProviderInSync', status: 'True', lastTransitionTime: '2026-12-07T10:00:00Z' },
    ]);
  });

  it('sets ProviderInSync=False naming the missing schemas', () => {
    const message = 'BoundSchema widgets.example.com not found in kube-bind-abc';
    const next = exportConditions(withConditions([]), { kind: 'missing-schemas', message }, now);
    expect(next).toEqual([
      {
        type: 'ProviderInSync',
        status: 'False',
        severity: 'Error',
        reason: 'BoundSchemaMissing',
        message,
        lastTransitionTime: '2026-12-07T10:00:00Z',
      },
    ]);
  });

  it('returns what it read when nothing changed, so nothing is written', () => {
    const first = exportConditions(withConditions([]), { kind: 'in-sync' }, now);
    expect(exportConditions(withConditions(first), { kind: 'in-sync' }, now + 60_000)).toEqual(
      first,
    );
  });

  it('moves the transition time only when the status changes', () => {
    const missing = { kind: 'missing-schemas', message: 'gone' } as const;
    const down = exportConditions(withConditions([]), missing, now);
    const up = exportConditions(withConditions(down), { kind: 'in-sync' }, now + 60_000);
    expect(up).toEqual([
      { type: 'ProviderInSync', status: 'True', lastTransitionTime: '2026-12-07T10:01:00Z' },
    ]);
  });
});
