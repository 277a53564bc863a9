// The decisions of the serviceexportrequest controller (docs/controllers.md §4.2, §5.5), as pure
// functions of the request and what the provider exports. Everything is validated before anything
// is created, so a bad request ends Failed with a message and leaves nothing behind; unlike
// upstream, a request never stays Pending silently (differences.md item 7).
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { resourceGroupName, sameGroupResource } from '../../../apis/kubebind/group-resource.ts';
import { derivedOnce } from '../../../apis/frozen.ts';
import { sourceSpecHash } from '../../../apis/kubebind/spec-hash.ts';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type {
  APIServiceExport,
  APIServiceExportRequest,
  APIServiceExportResource,
  APIServiceExportSpec,
  APIServiceExportTemplate,
  BoundSchema,
  BoundSchemaSpec,
  InformerScope,
  Isolation,
  PermissionClaim,
  RequestPhase,
} from '../../../apis/kubebind/types.gen.ts';
import { expiry, type Expiry } from '../finished-ttl.ts';
import { sameContent } from '../same.ts';
import {
  claimableResources,
  exportedLabel,
  exportsReadyCondition,
  permissionClaimCondition,
  sourceSpecHashAnnotation,
} from '../../../apis/kubebind/wire.ts';
import { checkTarget, serviceNamespaceName, servingKey } from '../service-namespaces.ts';

export interface ResolvedResource {
  /** The BoundSchema name, `<resource>.<groupOrCore>`. */
  name: string;
  resource: APIServiceExportResource;
  source: BoundSchemaSpec;
}

export type Validation =
  | { ok: true; resolved: ResolvedResource[] }
  | {
      ok: false;
      condition: typeof exportsReadyCondition | typeof permissionClaimCondition;
      reason: string;
      message: string;
    };
export type Failure = Extract<Validation, { ok: false }>;

/**
 * Checks a request against the exported schemas (keyed `<plural>.<group>`); `sourceNoun` names
 * what a provider labels to export (CRD, or APIResourceSchema on kcp) in messages.
 */
export function validateRequest(
  req: APIServiceExportRequest,
  exported: ReadonlyMap<string, BoundSchemaSpec>,
  sourceNoun = 'CRD',
): Validation {
  const resolved: ResolvedResource[] = [];
  const seen = new Set<string>();
  for (const resource of req.spec.resources) {
    const name = resourceGroupName(resource);
    if (seen.has(name)) return exportsFailure('DuplicateResource', `${name} is requested twice`);
    seen.add(name);
    const source = exported.get(`${resource.resource}.${resource.group ?? ''}`);
    if (!source) {
      return exportsFailure(
        'SchemaNotFound',
        `the provider does not export ${name}: no ${sourceNoun} of that group and resource is labelled ${exportedLabel}=true`,
      );
    }
    const served = source.versions.filter((v) => v.served).map((v) => v.name);
    const unknown = (resource.versions ?? []).filter((v) => !served.includes(v));
    if (unknown.length > 0) {
      return exportsFailure(
        'VersionNotFound',
        `${name} does not serve version ${unknown.join(', ')} (served: ${served.join(', ')})`,
      );
    }
    resolved.push({ name, resource, source });
  }
  const scopes = new Set(resolved.map((r) => r.source.scope));
  if (scopes.size > 1) {
    return exportsFailure(
      'DifferentScopes',
      `the requested resources mix scopes (${resolved.map((r) => `${r.name}: ${r.source.scope}`).join(', ')}); one export must be all Namespaced or all Cluster`,
    );
  }
  return validateClaims(req) ?? { ok: true, resolved };
}

function validateClaims(req: APIServiceExportRequest): Validation | undefined {
  const claims = req.spec.permissionClaims ?? [];
  for (const claim of claims) {
    if (!claimableResources.some((c) => sameGroupResource(c, claim))) {
      return claimFailure(
        'InvalidPermissionClaim',
        `${resourceGroupName(claim)} cannot be claimed; claimable are ${claimableResources.map(resourceGroupName).join(', ')}`,
      );
    }
  }
  const duplicate = claims.find((c, i) => claims.findIndex((d) => sameGroupResource(c, d)) !== i);
  if (duplicate) {
    return claimFailure(
      'DuplicatePermissionClaim',
      `${resourceGroupName(duplicate)} is claimed more than once`,
    );
  }
  return undefined;
}

/**
 * Whether an APIServiceExportTemplate offers what the request claims (a deliberate difference
 * from upstream, which grants whatever a request claims): one template must offer every requested
 * resource and every claim, each claim exactly as the template words it (group, resource and
 * selector). `kubectl bind` copies the template's claims into its request, so its requests pass;
 * a consumer writing its own request with its issued kubeconfig cannot widen them. A request
 * without claims needs no template (what it may bind is limited to exported schemas).
 */
export function claimsOffered(
  req: APIServiceExportRequest,
  templates: readonly APIServiceExportTemplate[],
): Failure | undefined {
  const claims = req.spec.permissionClaims ?? [];
  if (claims.length === 0) return undefined;
  const covering = templates.filter((t) =>
    req.spec.resources.every((r) => t.spec.resources.some((o) => sameGroupResource(o, r))),
  );
  const offers = (t: APIServiceExportTemplate) =>
    claims.every((c) => (t.spec.permissionClaims ?? []).some((o) => sameClaim(o, c)));
  if (covering.some(offers)) return undefined;
  const resources = req.spec.resources.map(resourceGroupName).join(', ');
  const unoffered = claims.filter(
    (c) => !covering.some((t) => (t.spec.permissionClaims ?? []).some((o) => sameClaim(o, c))),
  );
  const named = (unoffered.length > 0 ? unoffered : claims).map(describeClaim).join('; ');
  return claimFailure(
    'PermissionClaimNotOffered',
    covering.length === 0
      ? `the request claims ${named}, but no APIServiceExportTemplate offers ${resources}; a request may claim only what a template offers`
      : `no APIServiceExportTemplate that offers ${resources} offers ${named}; a request may claim only what one template offers, with the same selector`,
  );
}

function sameClaim(a: PermissionClaim, b: PermissionClaim): boolean {
  return sameGroupResource(a, b) && sameContent(a.selector, b.selector);
}

/** `secrets (selector {...})`, bounded: selectors come from whoever wrote the request. */
function describeClaim(c: PermissionClaim): string {
  const selector = JSON.stringify(c.selector);
  const shown = selector.length > 200 ? `${selector.slice(0, 200)}…` : selector;
  return `${resourceGroupName(c)} (selector ${shown})`;
}

/** How many namespaces one request may pre-seed (each is an object and a namespace). */
export const maxNamespaces = 100;

/**
 * Whether the namespaces a request pre-seeds may become service namespaces: the provider
 * namespace each would get must not be a system namespace nor an existing namespace made for
 * anything else (`existing` looks one up by name). Checked before anything is created, so the
 * request fails with the reason instead of leaving APIServiceNamespaces that never get one.
 */
export function namespacesAllowed(
  req: APIServiceExportRequest,
  contractNs: string,
  isolation: Isolation,
  existing: (name: string) => Namespace | undefined,
): Failure | undefined {
  const names = (req.spec.namespaces ?? []).map((n) => n.name);
  if (names.length > maxNamespaces) {
    return exportsFailure(
      'TooManyNamespaces',
      `the request names ${names.length} namespaces; at most ${maxNamespaces} are pre-seeded`,
    );
  }
  for (const name of names) {
    const serving = servingKey(contractNs, name);
    const target = serviceNamespaceName(contractNs, name, isolation);
    const verdict = checkTarget(target, serving, existing(target));
    if (!verdict.ok) return exportsFailure(verdict.reason, verdict.message);
  }
  return undefined;
}

const exportsFailure = (reason: string, message: string): Failure => ({
  ok: false,
  condition: exportsReadyCondition,
  reason,
  message,
});
const claimFailure = (reason: string, message: string): Failure => ({
  ok: false,
  condition: permissionClaimCondition,
  reason,
  message,
});

/**
 * The BoundSchema spec for one requested resource (controllers.md §4.2): the source with the backend's informer
 * scope; with isolation Namespaced a namespaced API is bound cluster-scoped on the consumer.
 */
export function boundSchemaSpec(
  source: BoundSchemaSpec,
  consumerScope: InformerScope,
  isolation: Isolation,
): BoundSchemaSpec {
  return boundSpecOnce(source, `${consumerScope}/${isolation}`);
}

/**
 * Made once per source spec and variant, and shared (frozen, so sharing its nested schema with the
 * source is safe): every reconcile of a request asks again, and copying a CRD's schema each time
 * was 4% of the backend's CPU (bench/backend.ts).
 */
const boundSpecOnce = derivedOnce(
  (source: BoundSchemaSpec, variant: `${InformerScope}/${Isolation}`): BoundSchemaSpec => {
    const [consumerScope, isolation] = variant.split('/') as [InformerScope, Isolation];
    const scope =
      isolation === 'Namespaced' && source.scope === 'Namespaced' ? 'Cluster' : source.scope;
    return { ...source, informerScope: consumerScope, scope };
  },
);

/** The export a request asks for; a request's resources without versions get all served ones. */
export function desiredExportSpec(
  req: APIServiceExportRequest,
  resolved: readonly ResolvedResource[],
  consumerScope: InformerScope,
  isolation: Isolation,
): APIServiceExportSpec {
  return {
    resources: resolved.map(({ resource, source }) => ({
      group: resource.group ?? '',
      resource: resource.resource,
      versions:
        resource.versions && resource.versions.length > 0
          ? [...resource.versions]
          : source.versions.filter((v) => v.served).map((v) => v.name),
    })),
    ...(req.spec.permissionClaims && {
      permissionClaims: structuredClone(req.spec.permissionClaims),
    }),
    informerScope: consumerScope,
    isolation,
  };
}

/** Whether an existing export is the one the request asks for (a re-bind), or a different one. */
export function exportMatches(live: APIServiceExport, desired: APIServiceExportSpec): boolean {
  const gr = (rs: readonly APIServiceExportResource[]) =>
    rs
      .map((r) => `${r.resource}.${r.group ?? ''}`)
      .sort()
      .join(',');
  return (
    gr(live.spec.resources) === gr(desired.resources) &&
    live.spec.informerScope === desired.informerScope &&
    live.spec.isolation === desired.isolation &&
    sameContent(live.spec.permissionClaims ?? [], desired.permissionClaims ?? [])
  );
}

// --- the phase machine ----------------------------------------------------------------------

/** Finished requests are removed this long after they were created (upstream: 10 minutes). */
export const finishedRequestTTLMs = 10 * 60_000;

export function requestPhase(req: APIServiceExportRequest): RequestPhase {
  return req.status?.phase ?? 'Pending';
}

/** What the controller read about a request: nothing more once Failed. */
export interface ObservedRequest {
  request: APIServiceExportRequest;
  /** The request checked against the exported schemas; absent once Failed. */
  validation?: Validation;
  /** Why a valid Pending request may not have what it asks (claims, namespaces), if it may not. */
  refusal?: Failure;
}

export type RequestAction =
  /** Pending, but it may not have what it asks: Failed with the reason. */
  | { kind: 'fail'; failure: Failure }
  /** Pending and allowed: BoundSchemas, the export and the namespaces; then Succeeded. */
  | { kind: 'provision'; resolved: ResolvedResource[] }
  /** Succeeded with SchemaUpdatePolicy Always: the BoundSchemas follow their sources. */
  | { kind: 'follow-sources'; resolved: ResolvedResource[] }
  /** Nothing to do but wait for the TTL. */
  | { kind: 'none' };

/**
 * A Pending request is provisioned or fails; it never stays Pending. A finished one only keeps its
 * BoundSchemas current with policy Always, and not when it no longer validates (a source that is
 * no longer exported): what was bound stays as it was.
 */
export function decideRequest({ request, validation, refusal }: ObservedRequest): RequestAction {
  const phase = requestPhase(request);
  if (phase === 'Failed' || !validation) return { kind: 'none' };
  if (!validation.ok) return phase === 'Pending' ? { kind: 'fail', failure: validation } : none;
  if (phase === 'Pending') {
    return refusal
      ? { kind: 'fail', failure: refusal }
      : { kind: 'provision', resolved: validation.resolved };
  }
  return request.spec.schemaUpdatePolicy === 'Always'
    ? { kind: 'follow-sources', resolved: validation.resolved }
    : none;
}
const none: RequestAction = { kind: 'none' };

/** Whether the request's admission (templates, namespaces) is read: only a valid Pending one's. */
export function needsAdmission(req: APIServiceExportRequest, validation: Validation): boolean {
  return requestPhase(req) === 'Pending' && validation.ok;
}

/** An export of the request's name exists with other content: the request fails. */
export function exportConflict(req: APIServiceExportRequest): Failure {
  const { name, namespace } = nameOf(req);
  return exportsFailure(
    'ExportConflict',
    `an APIServiceExport named ${name} already exists in ${namespace} with other ` +
      'resources, claims or scope; bind under another name',
  );
}

export function succeededStatus(req: APIServiceExportRequest, now: number) {
  let conditions = markTrue(req.status?.conditions ?? [], exportsReadyCondition, now);
  conditions = markTrue(conditions, permissionClaimCondition, now);
  return { phase: 'Succeeded', conditions: setSummary(conditions, now) } as const;
}

export function failedStatus(req: APIServiceExportRequest, failure: Failure, now: number) {
  const { condition, reason, message } = failure;
  const current = req.status?.conditions ?? [];
  const conditions = markFalse(current, condition, reason, 'Error', message, now);
  return {
    phase: 'Failed',
    terminalMessage: message,
    conditions: setSummary(conditions, now),
  } as const;
}

/**
 * Requests go 10 minutes after they were created, as upstream's do (the export stays); a
 * request with policy Always stays unless it failed: it is what carries the policy to later
 * schema changes.
 */
export function expiryOf(req: APIServiceExportRequest, now: number): Expiry {
  if (req.spec.schemaUpdatePolicy === 'Always' && requestPhase(req) !== 'Failed') {
    return { kind: 'keep' };
  }
  return expiry(req.metadata?.creationTimestamp, finishedRequestTTLMs, now);
}

// --- BoundSchemas and their drift -----------------------------------------------------------

export type BoundSchemaAction =
  | { kind: 'create'; spec: BoundSchemaSpec; hash: string }
  /** Adopt: the export becomes its controller. Drifted: the source changed (policy Always). */
  | { kind: 'update'; spec: BoundSchemaSpec; hash: string; adopt: boolean; drifted: boolean }
  | { kind: 'in-sync' };

/**
 * What one BoundSchema needs (controllers.md §4.2): made when missing; owned by the export once there is one;
 * with policy Always, replaced when the hash of its source's spec moved on.
 */
export function decideBoundSchema(
  live: BoundSchema | undefined,
  spec: BoundSchemaSpec,
  alwaysSync: boolean,
  exportExists: boolean,
): BoundSchemaAction {
  const hash = sourceSpecHash(spec);
  if (!live) return { kind: 'create', spec, hash };
  const adopt = exportExists && !live.metadata?.ownerReferences?.some((r) => r.controller);
  const drifted = alwaysSync && live.metadata?.annotations?.[sourceSpecHashAnnotation] !== hash;
  return adopt || drifted ? { kind: 'update', spec, hash, adopt, drifted } : { kind: 'in-sync' };
}

const nameOf = (obj: { metadata?: { name?: string; namespace?: string } }) => ({
  name: obj.metadata?.name ?? '',
  namespace: obj.metadata?.namespace ?? '',
});
