// The kube-bind.io API as kcp serves it (docs/controllers.md §6.5): one APIResourceSchema per kind
// and the APIExport `kube-bind.io` that exports them all, with the permission claims the backend
// needs in every workspace that binds it. APIResourceSchemas are immutable, so each name carries a
// hash of its content: a changed schema gets a new name and the export moves to it.
import { createHash } from 'node:crypto';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { toCRD, type CRDDefinition } from '../schema/crd.ts';
import { kubeBindKinds } from './crds/index.ts';
import type { APIResourceSchemaLike } from './schema-mapping.ts';

export const kubeBindExportName = 'kube-bind.io';

/** A kcp APIResourceSchema (apis.kcp.io/v1alpha1, cluster-scoped): a CRD spec, immutable. */
export interface APIResourceSchema {
  apiVersion?: 'apis.kcp.io/v1alpha1';
  kind?: 'APIResourceSchema';
  metadata: ObjectMeta & { name: string };
  spec: APIResourceSchemaLike['spec'];
}

/** What an APIBinding's status says about one resource it binds. */
export interface BoundAPIResource {
  group: string;
  resource: string;
  /** The APIResourceSchema serving it; it lives in the export's workspace, not the binding's. */
  schema: { name: string; UID?: string; identityHash?: string };
  storageVersions?: string[];
}

/** A kcp APIBinding (apis.kcp.io/v1alpha2, cluster-scoped): the fields this project uses. */
export interface APIBinding {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: {
    reference: { export?: { path?: string; name: string } };
    permissionClaims?: {
      group?: string;
      resource: string;
      verbs?: string[];
      selector?: { matchAll?: boolean };
      state?: string;
    }[];
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; message?: string }[];
    apiExportClusterName?: string;
    boundResources?: BoundAPIResource[];
  };
}

/** The APIResourceSchema of a kind: the CRD spec with bare openAPIV3Schema per version. */
export function toAPIResourceSchema(def: CRDDefinition): APIResourceSchema {
  const crd = toCRD(def);
  // (A CRD's empty status subresource is typed without an index signature; same JSON.)
  const versions = crd.spec.versions.map(({ schema, ...version }) => ({
    ...version,
    schema: schema?.openAPIV3Schema ?? {},
  })) as APIResourceSchema['spec']['versions'];
  const spec = {
    group: crd.spec.group,
    names: crd.spec.names,
    scope: def.scope,
    // kcp, like the API server, wants a conversion strategy whenever there are several versions.
    ...(crd.spec.conversion && { conversion: crd.spec.conversion }),
    versions,
  };
  const digest = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 8);
  return {
    apiVersion: 'apis.kcp.io/v1alpha1',
    kind: 'APIResourceSchema',
    metadata: { name: `v${digest}.${def.names.plural}.${def.group}` },
    spec,
  };
}

/** A permission claim as the APIExport states it. */
export interface ExportPermissionClaim {
  /** Absent for the core group, as kcp's JSON omits an empty group. */
  group?: string;
  resource: string;
  verbs: string[];
}

const claim = (group: string, resource: string): ExportPermissionClaim => ({
  ...(group && { group }),
  resource,
  verbs: ['*'],
});

/**
 * What the backend reads and writes in a workspace that binds kube-bind.io, in upstream's order:
 * consumer RBAC and credentials, namespaces, the provider's schemas (CRDs or, on kcp,
 * APIResourceSchemas) and APIBindings (for the kcp-only controllers). Ours adds Events, so that
 * controllers can report on objects in the workspace as they do on a plain cluster; with an
 * export that lacks the claim, events are only logged.
 */
export const kubeBindPermissionClaims: readonly ExportPermissionClaim[] = [
  claim('rbac.authorization.k8s.io', 'clusterrolebindings'),
  claim('rbac.authorization.k8s.io', 'clusterroles'),
  claim('rbac.authorization.k8s.io', 'roles'),
  claim('rbac.authorization.k8s.io', 'rolebindings'),
  claim('', 'serviceaccounts'),
  claim('', 'configmaps'),
  claim('', 'secrets'),
  claim('authorization.k8s.io', 'subjectaccessreviews'),
  claim('', 'namespaces'),
  claim('apiextensions.k8s.io', 'customresourcedefinitions'),
  claim('apis.kcp.io', 'apiresourceschemas'),
  claim('apis.kcp.io', 'apibindings'),
  claim('', 'events'),
];

/**
 * The claims the recursive binding in the kube-bind workspace accepts (controllers.md §6.5): the export's,
 * plus apiexports, which the kcp-only controllers read there.
 */
export const kubeBindAcceptedClaims: readonly ExportPermissionClaim[] = [
  ...kubeBindPermissionClaims.slice(0, 7),
  claim('apis.kcp.io', 'apiexports'),
  ...kubeBindPermissionClaims.slice(7),
];

/** An APIBinding (apis.kcp.io/v1alpha2) of kube-bind.io at `exportPath`, accepting `claims`. */
export function kubeBindAPIBinding(
  exportPath: string,
  claims: readonly ExportPermissionClaim[] = kubeBindPermissionClaims,
  name = kubeBindExportName,
) {
  return {
    apiVersion: 'apis.kcp.io/v1alpha2',
    kind: 'APIBinding',
    metadata: { name },
    spec: {
      reference: { export: { path: exportPath, name: kubeBindExportName } },
      permissionClaims: claims.map((c) => ({
        ...c,
        verbs: [...c.verbs],
        selector: { matchAll: true },
        state: 'Accepted',
      })),
    },
  };
}

/** The APIExport `kube-bind.io` (apis.kcp.io/v1alpha2) over every kind's APIResourceSchema. */
export function kubeBindAPIExport(kinds: readonly CRDDefinition[] = kubeBindKinds) {
  return {
    apiVersion: 'apis.kcp.io/v1alpha2',
    kind: 'APIExport',
    metadata: { name: kubeBindExportName },
    spec: {
      resources: kinds.map((def) => ({
        group: def.group,
        name: def.names.plural,
        schema: toAPIResourceSchema(def).metadata.name,
        storage: { crd: {} },
      })),
      permissionClaims: kubeBindPermissionClaims.map((c) => ({ ...c, verbs: [...c.verbs] })),
    },
  };
}
