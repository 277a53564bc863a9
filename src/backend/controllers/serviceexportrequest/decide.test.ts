import { describe, expect, it } from 'vitest';
import type {
  APIServiceExport,
  APIServiceExportRequest,
  APIServiceExportResource,
  APIServiceExportSpec,
  BoundSchemaSpec,
  BoundSchemaVersion,
  PermissionClaim,
} from '../../../apis/kubebind/types.gen.ts';
import {
  boundSchemaSpec,
  desiredExportSpec,
  exportMatches,
  validateRequest,
  type ResolvedResource,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const version = (name: string, served = true): BoundSchemaVersion => ({
  name,
  served,
  storage: false,
  schema: { openAPIV3Schema: { type: 'object' } },
});

const schema = (
  group: string,
  plural: string,
  scope: 'Namespaced' | 'Cluster' = 'Namespaced',
  versions: BoundSchemaVersion[] = [version('v1')],
): BoundSchemaSpec => ({
  informerScope: 'Namespaced',
  group,
  names: { plural, kind: `Kind${plural}` },
  scope,
  versions,
});

/** The exported schemas as the controller hands them over, keyed `<plural>.<group>`. */
const exported = (...specs: BoundSchemaSpec[]): Map<string, BoundSchemaSpec> =>
  new Map(specs.map((s) => [`${s.names.plural}.${s.group}`, s]));

const res = (group: string | undefined, resource: string, versions?: string[]) => {
  const r: APIServiceExportResource = { resource };
  if (group !== undefined) r.group = group;
  if (versions) r.versions = versions;
  return r;
};

const claim = (group: string | undefined, resource: string): PermissionClaim =>
  group === undefined ? { resource, selector: {} } : { group, resource, selector: {} };

const request = (
  resources: APIServiceExportResource[],
  permissionClaims?: PermissionClaim[],
): APIServiceExportRequest => ({
  metadata: { name: 'widgets', namespace: 'kube-bind-abc' },
  spec: { resources, ...(permissionClaims && { permissionClaims }) },
});

const widgets = schema('example.com', 'widgets', 'Namespaced', [
  version('v1alpha1', false),
  version('v1'),
  version('v2'),
]);
const gadgets = schema('example.com', 'gadgets');
const clusterThings = schema('example.com', 'clusterthings', 'Cluster');

// --- validateRequest --------------------------------------------------------------------------

describe('validateRequest', () => {
  it('resolves every requested resource with its exported source', () => {
    const req = request(
      [res('example.com', 'widgets', ['v2']), res('example.com', 'gadgets')],
      [claim('', 'secrets')],
    );
    expect(validateRequest(req, exported(widgets, gadgets, clusterThings))).toEqual({
      ok: true,
      resolved: [
        { name: 'widgets.example.com', resource: req.spec.resources[0], source: widgets },
        { name: 'gadgets.example.com', resource: req.spec.resources[1], source: gadgets },
      ],
    });
  });

  it('accepts an empty versions list (all served versions are meant)', () => {
    const result = validateRequest(request([res('example.com', 'widgets', [])]), exported(widgets));
    expect(result.ok).toBe(true);
  });

  it('fails with SchemaNotFound naming <resource>.<groupOrCore>', () => {
    expect(validateRequest(request([res('example.com', 'nothings')]), exported(widgets))).toEqual({
      ok: false,
      condition: 'ExportsReady',
      reason: 'SchemaNotFound',
      message:
        'the provider does not export nothings.example.com: no CRD of that group and resource is labelled kube-bind.io/exported=true',
    });
    expect(validateRequest(request([res(undefined, 'pods')]), exported(widgets))).toMatchObject({
      reason: 'SchemaNotFound',
      message: expect.stringContaining('does not export pods.core:') as unknown,
    });
  });

  it('names what the provider labels, on kcp an APIResourceSchema', () => {
    const result = validateRequest(
      request([res('example.com', 'nothings')]),
      exported(widgets),
      'APIResourceSchema',
    );
    expect(result).toMatchObject({
      message: expect.stringContaining('no APIResourceSchema of that group') as unknown,
    });
  });

  it('fails when nothing is exported at all', () => {
    expect(validateRequest(request([res('example.com', 'widgets')]), new Map())).toMatchObject({
      ok: false,
      condition: 'ExportsReady',
      reason: 'SchemaNotFound',
    });
  });

  it('fails with DuplicateResource when a resource is requested twice', () => {
    const req = request([res('example.com', 'widgets'), res('example.com', 'widgets', ['v1'])]);
    expect(validateRequest(req, exported(widgets))).toEqual({
      ok: false,
      condition: 'ExportsReady',
      reason: 'DuplicateResource',
      message: 'widgets.example.com is requested twice',
    });
  });

  it('fails with VersionNotFound listing the served versions only', () => {
    const req = request([res('example.com', 'widgets', ['v1', 'v1alpha1', 'v3'])]);
    expect(validateRequest(req, exported(widgets))).toEqual({
      ok: false,
      condition: 'ExportsReady',
      reason: 'VersionNotFound',
      message: 'widgets.example.com does not serve version v1alpha1, v3 (served: v1, v2)',
    });
  });

  it('fails with DifferentScopes when namespaced and cluster-scoped resources are mixed', () => {
    const req = request([res('example.com', 'widgets'), res('example.com', 'clusterthings')]);
    expect(validateRequest(req, exported(widgets, clusterThings))).toEqual({
      ok: false,
      condition: 'ExportsReady',
      reason: 'DifferentScopes',
      message:
        'the requested resources mix scopes (widgets.example.com: Namespaced, clusterthings.example.com: Cluster); one export must be all Namespaced or all Cluster',
    });
  });

  it('accepts all-cluster-scoped resources', () => {
    const other = schema('example.com', 'otherthings', 'Cluster');
    const req = request([res('example.com', 'clusterthings'), res('example.com', 'otherthings')]);
    expect(validateRequest(req, exported(clusterThings, other)).ok).toBe(true);
  });

  it('accepts claims of core configmaps, secrets and serviceaccounts, with or without group', () => {
    const req = request(
      [res('example.com', 'widgets')],
      [claim('', 'configmaps'), claim(undefined, 'secrets'), claim('', 'serviceaccounts')],
    );
    expect(validateRequest(req, exported(widgets)).ok).toBe(true);
  });

  it('fails with InvalidPermissionClaim for a resource that cannot be claimed', () => {
    const req = request(
      [res('example.com', 'widgets')],
      [claim('', 'secrets'), claim('apps', 'deployments')],
    );
    expect(validateRequest(req, exported(widgets))).toEqual({
      ok: false,
      condition: 'PermissionClaim',
      reason: 'InvalidPermissionClaim',
      message:
        'deployments.apps cannot be claimed; claimable are configmaps.core, secrets.core, serviceaccounts.core',
    });
    // A claimable name in another group is not claimable.
    const wrongGroup = request([res('example.com', 'widgets')], [claim('example.com', 'secrets')]);
    expect(validateRequest(wrongGroup, exported(widgets))).toMatchObject({
      reason: 'InvalidPermissionClaim',
      message: expect.stringMatching(/^secrets\.example\.com cannot be claimed/) as unknown,
    });
  });

  it('fails with DuplicatePermissionClaim when omitted and empty group claim the same resource', () => {
    const req = request(
      [res('example.com', 'widgets')],
      [claim(undefined, 'secrets'), claim('', 'configmaps'), claim('', 'secrets')],
    );
    expect(validateRequest(req, exported(widgets))).toEqual({
      ok: false,
      condition: 'PermissionClaim',
      reason: 'DuplicatePermissionClaim',
      message: 'secrets.core is claimed more than once',
    });
  });

  it('reports an invalid claim before a duplicate one', () => {
    const req = request(
      [res('example.com', 'widgets')],
      [claim('', 'secrets'), claim('', 'secrets'), claim('apps', 'deployments')],
    );
    expect(validateRequest(req, exported(widgets))).toMatchObject({
      reason: 'InvalidPermissionClaim',
    });
  });

  it('checks the resources before the claims', () => {
    const badClaims = [claim('apps', 'deployments')];
    expect(
      validateRequest(request([res('example.com', 'nothings')], badClaims), exported(widgets)),
    ).toMatchObject({ condition: 'ExportsReady', reason: 'SchemaNotFound' });
    expect(
      validateRequest(
        request([res('example.com', 'widgets'), res('example.com', 'clusterthings')], badClaims),
        exported(widgets, clusterThings),
      ),
    ).toMatchObject({ condition: 'ExportsReady', reason: 'DifferentScopes' });
    expect(
      validateRequest(
        request([res('example.com', 'widgets', ['v9'])], badClaims),
        exported(widgets),
      ),
    ).toMatchObject({ condition: 'ExportsReady', reason: 'VersionNotFound' });
  });
});

// --- boundSchemaSpec --------------------------------------------------------------------------

describe('boundSchemaSpec', () => {
  it('takes the informer scope from the argument and keeps everything else', () => {
    expect(boundSchemaSpec(widgets, 'Cluster', 'Prefixed')).toEqual({
      ...widgets,
      informerScope: 'Cluster',
    });
    expect(boundSchemaSpec({ ...widgets, informerScope: 'Cluster' }, 'Namespaced', 'None')).toEqual(
      { ...widgets, informerScope: 'Namespaced' },
    );
  });

  it('binds a namespaced source cluster-scoped with isolation Namespaced', () => {
    expect(boundSchemaSpec(widgets, 'Namespaced', 'Namespaced')).toEqual({
      ...widgets,
      informerScope: 'Namespaced',
      scope: 'Cluster',
    });
  });

  it('rewrites nothing for other isolations or cluster-scoped sources', () => {
    expect(boundSchemaSpec(widgets, 'Namespaced', 'Prefixed').scope).toBe('Namespaced');
    expect(boundSchemaSpec(widgets, 'Namespaced', 'None').scope).toBe('Namespaced');
    for (const isolation of ['Prefixed', 'Namespaced', 'None'] as const) {
      expect(boundSchemaSpec(clusterThings, 'Cluster', isolation)).toEqual({
        ...clusterThings,
        informerScope: 'Cluster',
        scope: 'Cluster',
      });
    }
  });

  it('neither mutates nor shares its input', () => {
    const source = structuredClone(widgets);
    const bound = boundSchemaSpec(source, 'Cluster', 'Namespaced');
    expect(source).toEqual(widgets);
    expect(bound.versions).not.toBe(source.versions);
    expect(bound.names).not.toBe(source.names);
    bound.versions.push(version('v9'));
    expect(source.versions).toHaveLength(3);
  });
});

// --- desiredExportSpec ------------------------------------------------------------------------

/** Validates (it must pass) and returns what the request resolves to. */
const resolve = (req: APIServiceExportRequest, ...specs: BoundSchemaSpec[]): ResolvedResource[] => {
  const validation = validateRequest(req, exported(...specs));
  if (!validation.ok) throw new Error(`unexpected ${validation.reason}: ${validation.message}`);
  return validation.resolved;
};

describe('desiredExportSpec', () => {
  it('gives resources without versions every served version, and keeps requested ones', () => {
    const req = request([
      res('example.com', 'widgets'),
      res('example.com', 'gadgets', ['v1']),
      res('example.com', 'empties', []),
    ]);
    const empties = schema('example.com', 'empties', 'Namespaced', [version('v1'), version('v2')]);
    const resolved = resolve(req, widgets, gadgets, empties);
    expect(desiredExportSpec(req, resolved, 'Namespaced', 'Prefixed')).toEqual({
      resources: [
        { group: 'example.com', resource: 'widgets', versions: ['v1', 'v2'] },
        { group: 'example.com', resource: 'gadgets', versions: ['v1'] },
        { group: 'example.com', resource: 'empties', versions: ['v1', 'v2'] },
      ],
      informerScope: 'Namespaced',
      isolation: 'Prefixed',
    });
  });

  it('copies the claims and sets informer scope and isolation', () => {
    const claims = [claim('', 'secrets'), claim(undefined, 'configmaps')];
    const req = request([res('example.com', 'widgets', ['v2'])], claims);
    const spec = desiredExportSpec(req, resolve(req, widgets), 'Cluster', 'Namespaced');
    expect(spec).toEqual({
      resources: [{ group: 'example.com', resource: 'widgets', versions: ['v2'] }],
      permissionClaims: [claim('', 'secrets'), claim(undefined, 'configmaps')],
      informerScope: 'Cluster',
      isolation: 'Namespaced',
    });
    expect(spec.permissionClaims).not.toBe(claims);
    expect(spec.resources[0]?.versions).not.toBe(req.spec.resources[0]?.versions);
  });

  it('leaves permissionClaims out when the request has none', () => {
    const req = request([res('example.com', 'widgets')]);
    const spec = desiredExportSpec(req, resolve(req, widgets), 'Namespaced', 'None');
    expect(spec).not.toHaveProperty('permissionClaims');
  });
});

// --- exportMatches ----------------------------------------------------------------------------

describe('exportMatches', () => {
  const desired: APIServiceExportSpec = {
    resources: [
      { group: 'example.com', resource: 'widgets', versions: ['v1'] },
      { group: 'example.com', resource: 'gadgets', versions: ['v1'] },
    ],
    permissionClaims: [claim('', 'secrets')],
    informerScope: 'Namespaced',
    isolation: 'Prefixed',
  };
  const live = (spec: Partial<APIServiceExportSpec>): APIServiceExport => ({
    metadata: { name: 'widgets', namespace: 'kube-bind-abc' },
    spec: { ...structuredClone(desired), ...spec },
  });

  it('matches the same export, whatever the order of its resources', () => {
    expect(exportMatches(live({}), desired)).toBe(true);
    expect(
      exportMatches(
        live({
          resources: [
            { group: 'example.com', resource: 'gadgets', versions: ['v1'] },
            { group: 'example.com', resource: 'widgets', versions: ['v1'] },
          ],
        }),
        desired,
      ),
    ).toBe(true);
  });

  it('treats no claims and an empty claim list alike', () => {
    const withoutClaims = structuredClone(desired);
    delete withoutClaims.permissionClaims;
    expect(exportMatches(live({ permissionClaims: [] }), withoutClaims)).toBe(true);
  });

  it('does not match other resources', () => {
    expect(
      exportMatches(
        live({ resources: [{ group: 'example.com', resource: 'widgets', versions: ['v1'] }] }),
        desired,
      ),
    ).toBe(false);
    expect(
      exportMatches(
        live({
          resources: [
            { group: 'example.com', resource: 'widgets' },
            { group: 'other.io', resource: 'gadgets' },
          ],
        }),
        desired,
      ),
    ).toBe(false);
  });

  it('does not match other claims, informer scope or isolation', () => {
    expect(exportMatches(live({ permissionClaims: [claim('', 'configmaps')] }), desired)).toBe(
      false,
    );
    expect(exportMatches(live({ permissionClaims: [] }), desired)).toBe(false);
    expect(exportMatches(live({ informerScope: 'Cluster' }), desired)).toBe(false);
    expect(exportMatches(live({ isolation: 'Namespaced' }), desired)).toBe(false);
  });
});
