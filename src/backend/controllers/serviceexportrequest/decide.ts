// The decisions of the serviceexportrequest controller (spec controllers.md §4.2, §5.5), as pure
// functions of the request and what the provider exports. Everything is validated before anything
// is created, so a bad request ends Failed with a message and leaves nothing behind; unlike
// upstream, a request never stays Pending silently (spec README item 7).
import { resourceGroupName, sameGroupResource } from '../../../apis/kubebind/group-resource.ts';
import type {
  APIServiceExport,
  APIServiceExportRequest,
  APIServiceExportResource,
  APIServiceExportSpec,
  BoundSchemaSpec,
} from '../../../apis/kubebind/types.gen.ts';
import { sameContent } from '../same.ts';

export type ConsumerScope = 'Namespaced' | 'Cluster';
export type Isolation = 'Prefixed' | 'Namespaced' | 'None';

/** The consumer resources a permission claim may name (upstream's ClaimableAPIs). */
export const claimable: readonly { group: string; resource: string }[] = [
  { group: '', resource: 'configmaps' },
  { group: '', resource: 'secrets' },
  { group: '', resource: 'serviceaccounts' },
];

export interface ResolvedResource {
  /** The BoundSchema name, `<resource>.<groupOrCore>`. */
  name: string;
  resource: APIServiceExportResource;
  source: BoundSchemaSpec;
}

export type Validation =
  | { ok: true; resolved: ResolvedResource[] }
  | { ok: false; condition: 'ExportsReady' | 'PermissionClaim'; reason: string; message: string };

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
        `the provider does not export ${name}: no ${sourceNoun} of that group and resource is labelled kube-bind.io/exported=true`,
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
    if (!claimable.some((c) => sameGroupResource(c, claim))) {
      return claimFailure(
        'InvalidPermissionClaim',
        `${resourceGroupName(claim)} cannot be claimed; claimable are ${claimable.map(resourceGroupName).join(', ')}`,
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

const exportsFailure = (reason: string, message: string): Validation => ({
  ok: false,
  condition: 'ExportsReady',
  reason,
  message,
});
const claimFailure = (reason: string, message: string): Validation => ({
  ok: false,
  condition: 'PermissionClaim',
  reason,
  message,
});

/**
 * The BoundSchema spec for one requested resource (§4.2): the source with the backend's informer
 * scope; with isolation Namespaced a namespaced API is bound cluster-scoped on the consumer.
 */
export function boundSchemaSpec(
  source: BoundSchemaSpec,
  consumerScope: ConsumerScope,
  isolation: Isolation,
): BoundSchemaSpec {
  const scope =
    isolation === 'Namespaced' && source.scope === 'Namespaced' ? 'Cluster' : source.scope;
  return { ...structuredClone(source), informerScope: consumerScope, scope };
}

/** The export a request asks for; a request's resources without versions get all served ones. */
export function desiredExportSpec(
  req: APIServiceExportRequest,
  resolved: readonly ResolvedResource[],
  consumerScope: ConsumerScope,
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
