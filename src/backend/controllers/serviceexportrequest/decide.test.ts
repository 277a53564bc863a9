import { describe, expect, it } from 'vitest';
import type {
  APIServiceExport,
  APIServiceExportRequest,
  APIServiceExportResource,
  APIServiceExportSpec,
  BoundSchema,
  BoundSchemaSpec,
  BoundSchemaVersion,
  PermissionClaim,
} from '../../../apis/kubebind/types.gen.ts';
import { sourceSpecHash } from '../../../apis/kubebind/spec-hash.ts';
import {
  boundSchemaSpec,
  decideBoundSchema,
  decideRequest,
  desiredExportSpec,
  expiryOf,
  exportConflict,
  exportMatches,
  failedStatus,
  finishedRequestTTLMs,
  needsAdmission,
  succeededStatus,
  validateRequest,
  type Failure,
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

  it('never changes its input, and hands out one frozen spec per source and variant', () => {
    const source = structuredClone(widgets);
    const bound = boundSchemaSpec(source, 'Cluster', 'Namespaced');
    expect(source).toEqual(widgets);
    expect(boundSchemaSpec(source, 'Cluster', 'Namespaced')).toBe(bound);
    expect(boundSchemaSpec(source, 'Namespaced', 'Namespaced')).not.toBe(bound);
    expect(boundSchemaSpec(source, 'Namespaced', 'Namespaced').informerScope).toBe('Namespaced');
    // Shared, so nobody may change it: neither the result nor the source it shares with.
    expect(() => bound.versions.push(version('v9'))).toThrow(TypeError);
    expect(() => source.versions.push(version('v9'))).toThrow(TypeError);
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

// --- the phase machine ------------------------------------------------------------------------

const t0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const inPhase = (
  phase: 'Pending' | 'Succeeded' | 'Failed' | undefined,
  policy?: 'Always' | 'Never',
): APIServiceExportRequest => {
  const req = request([res('example.com', 'widgets')]);
  if (policy) req.spec.schemaUpdatePolicy = policy;
  if (phase) req.status = { phase };
  req.metadata = { ...req.metadata, creationTimestamp: iso(t0), uid: 'u1' };
  return req;
};

const valid = (req: APIServiceExportRequest) => validateRequest(req, exported(widgets));
const invalid = (req: APIServiceExportRequest) => validateRequest(req, new Map());
const refused: Failure = {
  ok: false,
  condition: 'PermissionClaim',
  reason: 'PermissionClaimNotOffered',
  message: 'no template offers it',
};

describe('decideRequest', () => {
  it('provisions a valid Pending request (no phase yet is Pending)', () => {
    for (const req of [inPhase(undefined), inPhase('Pending')]) {
      expect(decideRequest({ request: req, validation: valid(req) })).toEqual({
        kind: 'provision',
        resolved: [expect.objectContaining({ name: 'widgets.example.com' })],
      });
    }
  });

  it('fails a Pending request that does not validate, with the validation failure', () => {
    const req = inPhase('Pending');
    const validation = invalid(req);
    expect(decideRequest({ request: req, validation })).toEqual({
      kind: 'fail',
      failure: validation,
    });
  });

  it('fails a valid Pending request that is refused (claims, namespaces)', () => {
    const req = inPhase('Pending');
    expect(decideRequest({ request: req, validation: valid(req), refusal: refused })).toEqual({
      kind: 'fail',
      failure: refused,
    });
  });

  it('keeps the BoundSchemas of a Succeeded request with policy Always following their sources', () => {
    const req = inPhase('Succeeded', 'Always');
    expect(decideRequest({ request: req, validation: valid(req) })).toMatchObject({
      kind: 'follow-sources',
    });
  });

  it('does nothing more for a Succeeded request without policy Always, or one that no longer validates', () => {
    const never = inPhase('Succeeded', 'Never');
    expect(decideRequest({ request: never, validation: valid(never) })).toEqual({ kind: 'none' });
    const always = inPhase('Succeeded', 'Always');
    expect(decideRequest({ request: always, validation: invalid(always) })).toEqual({
      kind: 'none',
    });
  });

  it('does nothing for a Failed request, whatever it would validate to', () => {
    const req = inPhase('Failed', 'Always');
    expect(decideRequest({ request: req })).toEqual({ kind: 'none' });
    expect(decideRequest({ request: req, validation: valid(req) })).toEqual({ kind: 'none' });
  });
});

describe('needsAdmission', () => {
  it('reads templates and namespaces only for a valid Pending request', () => {
    const pending = inPhase('Pending');
    expect(needsAdmission(pending, valid(pending))).toBe(true);
    expect(needsAdmission(pending, invalid(pending))).toBe(false);
    const done = inPhase('Succeeded');
    expect(needsAdmission(done, valid(done))).toBe(false);
  });
});

describe('the status of a finished request', () => {
  it('Failed: the failure in its condition, the summary and the terminal message', () => {
    const status = failedStatus(inPhase('Pending'), refused, t0);
    expect(status).toMatchObject({ phase: 'Failed', terminalMessage: 'no template offers it' });
    expect(status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'PermissionClaim',
        status: 'False',
        reason: 'PermissionClaimNotOffered',
      }),
    );
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'False' }),
    );
  });

  it('Succeeded: exports and claims ready, and so the request', () => {
    const status = succeededStatus(inPhase('Pending'), t0);
    expect(status.phase).toBe('Succeeded');
    for (const type of ['ExportsReady', 'PermissionClaim', 'Ready']) {
      expect(status.conditions).toContainEqual(expect.objectContaining({ type, status: 'True' }));
    }
  });

  it('an export of the same name with other content is a conflict', () => {
    expect(exportConflict(inPhase('Pending'))).toEqual({
      ok: false,
      condition: 'ExportsReady',
      reason: 'ExportConflict',
      message:
        'an APIServiceExport named widgets already exists in kube-bind-abc with other resources, claims or scope; bind under another name',
    });
  });
});

describe('expiryOf', () => {
  it('counts the TTL from the creation, in any phase', () => {
    expect(expiryOf(inPhase('Succeeded'), t0 + 60_000)).toEqual({
      kind: 'wait',
      afterMs: finishedRequestTTLMs - 60_000,
    });
    expect(expiryOf(inPhase('Pending'), t0 + finishedRequestTTLMs)).toEqual({ kind: 'delete' });
  });

  it('keeps a request with policy Always unless it failed', () => {
    const late = t0 + 10 * finishedRequestTTLMs;
    expect(expiryOf(inPhase('Succeeded', 'Always'), late)).toEqual({ kind: 'keep' });
    expect(expiryOf(inPhase('Failed', 'Always'), late)).toEqual({ kind: 'delete' });
  });

  it('keeps a request without a creation time', () => {
    const req = inPhase('Succeeded');
    req.metadata = { name: 'widgets', namespace: 'kube-bind-abc' };
    expect(expiryOf(req, t0)).toEqual({ kind: 'keep' });
  });
});

describe('decideBoundSchema', () => {
  const spec = boundSchemaSpec(widgets, 'Namespaced', 'Prefixed');
  const hash = sourceSpecHash(spec);
  const live = (annotated: string, controlled: boolean): BoundSchema => ({
    metadata: {
      name: 'widgets.example.com',
      annotations: { 'kube-bind.io/source-spec-hash': annotated },
      ownerReferences: controlled
        ? [{ apiVersion: 'v1', kind: 'APIServiceExport', name: 'w', uid: 'x', controller: true }]
        : [],
    },
    spec,
  });

  it('creates a missing one with the hash of its spec', () => {
    expect(decideBoundSchema(undefined, spec, false, false)).toEqual({
      kind: 'create',
      spec,
      hash,
    });
  });

  it('leaves one in sync alone', () => {
    expect(decideBoundSchema(live(hash, true), spec, true, true)).toEqual({ kind: 'in-sync' });
  });

  it('adopts one without a controller once the export exists', () => {
    expect(decideBoundSchema(live(hash, false), spec, false, true)).toMatchObject({
      kind: 'update',
      adopt: true,
      drifted: false,
    });
    expect(decideBoundSchema(live(hash, false), spec, false, false)).toEqual({ kind: 'in-sync' });
  });

  it('replaces a drifted spec with policy Always only', () => {
    expect(decideBoundSchema(live('old', true), spec, true, true)).toEqual({
      kind: 'update',
      spec,
      hash,
      adopt: false,
      drifted: true,
    });
    expect(decideBoundSchema(live('old', true), spec, false, true)).toEqual({ kind: 'in-sync' });
  });
});
