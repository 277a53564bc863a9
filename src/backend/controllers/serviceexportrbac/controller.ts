// The serviceexportrbac controller (docs/controllers.md §5.4): gives each consumer's `kube-binder`
// service account access to the resources its export carries and to the consumer objects it
// claims, with per-consumer roles (see decide.ts). Objects are annotated with the export they
// serve; when the export goes, so do they (cluster-scoped ones are also owned by the contract
// namespace, so deleting a consumer cleans up even while the backend is down). A service
// namespace counts only when it was created for that APIServiceNamespace (its annotation says so)
// and is no system namespace: a `status.namespace` pointing anywhere else (written by an older
// backend that adopted existing namespaces) grants nothing, and what was granted there goes.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-types/rbac/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { crdName } from '../../../apis/kubebind/group-resource.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../../../kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  Namespaces,
  RoleBindings,
  Roles,
} from '../../../kube/resources.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import { namespaceIndex } from '../../../runtime/cache/store.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { sameContent } from '../same.ts';
import { hasResources } from '../well-formed.ts';
import type { InformerScope } from '../../../apis/kubebind/types.gen.ts';
import { binderSubject, desiredRoles, managedValue, type DesiredRole } from './decide.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import { perCluster } from '../per-cluster.ts';
import { crdSource, type SchemaSource } from '../../options/values.ts';
import { exportedSchemaSource, type ExportedSchemas } from '../exported-schemas.ts';
import {
  apiServiceNamespaceAnnotation,
  exportAnnotation,
  managedByLabel,
} from '../../../apis/kubebind/wire.ts';
import { servesAPIServiceNamespace, servingKey } from '../service-namespaces.ts';

export const serviceExportRBACControllerName = 'kube-bind-backend-serviceexport-rbac';
const byExportIndex = 'rbacByExport';
const exportsBySourceIndex = 'exportsBySource';

type RBACObject = ClusterRole | ClusterRoleBinding | Role | RoleBinding;
const rbacTypes: readonly ResourceType<RBACObject>[] = [
  ClusterRoles,
  ClusterRoleBindings,
  Roles,
  RoleBindings,
] as readonly ResourceType<RBACObject>[];

interface Informers {
  exports: Informer<kb.APIServiceExport>;
  serviceNamespaces: Informer<kb.APIServiceNamespace>;
  exported: ExportedSchemas;
  namespaces: Informer<Namespace>;
  rbac: { type: ResourceType<RBACObject>; informer: Informer<RBACObject> }[];
}

/** `schemaSource` (`--schema-source`) says where a resource's scope is read; CRDs by default. */
export function serviceExportRBACController(
  consumerScope: InformerScope,
  schemaSource: SchemaSource = crdSource,
): ControllerSpec {
  const source = exportedSchemaSource(schemaSource);
  const informersOf = perCluster((cluster): Informers => {
    const exports = cluster.informers.informerFor(kb.APIServiceExports);
    exports.addIndexer(exportsBySourceIndex, (exp) =>
      hasResources(exp) ? exp.spec.resources.map((r) => crdName(r.group ?? '', r.resource)) : [],
    );
    const managed = { labelSelector: `${managedByLabel}=${managedValue}` };
    const rbac = rbacTypes.map((type) => {
      const informer = cluster.informers.informerFor(type, managed);
      informer.addIndexer(byExportIndex, (obj) => {
        const serving = obj.metadata?.annotations?.[exportAnnotation];
        return serving ? [serving] : [];
      });
      return { type, informer };
    });
    return {
      exports,
      serviceNamespaces: cluster.informers.informerFor(kb.APIServiceNamespaces),
      exported: source.in(cluster),
      namespaces: cluster.informers.informerFor(Namespaces),
      rbac,
    };
  });
  return {
    name: serviceExportRBACControllerName,
    watches: (cluster) => {
      const { exports, serviceNamespaces, exported, namespaces, rbac } = informersOf(cluster);
      const ref = (exp: kb.APIServiceExport) => ({
        namespace: exp.metadata?.namespace,
        name: exp.metadata?.name ?? '',
      });
      return [
        watch(exports, { map: forObject() }),
        watch(serviceNamespaces, {
          map: (asn) =>
            exports.lister.byIndex(namespaceIndex, asn.metadata?.namespace ?? '').map(ref),
        }),
        exported.watch((key) => exports.lister.byIndex(exportsBySourceIndex, key).map(ref)),
        // A service namespace appearing (or changing) decides whether it is granted anything.
        watch(namespaces, {
          map: (ns) => {
            const serving = ns.metadata?.annotations?.[apiServiceNamespaceAnnotation] ?? '';
            const contract = serving.split('/')[0] ?? '';
            return contract ? exports.lister.byIndex(namespaceIndex, contract).map(ref) : [];
          },
        }),
        // Someone changed or deleted what we made: put it back.
        ...rbac.map(({ informer }) =>
          watch(informer, {
            map: (obj: RBACObject) => {
              const [namespace, name] =
                obj.metadata?.annotations?.[exportAnnotation]?.split('/') ?? [];
              return namespace && name ? [{ namespace, name }] : [];
            },
          }),
        ),
      ];
    },
    reconcile: async (req, { cluster, signal, log }) => {
      const informers = informersOf(cluster);
      const serving = `${req.namespace}/${req.name}`;
      const exp = informers.exports.lister.get(namespacedKey(req.namespace, req.name));
      if (exp && !hasResources(exp)) {
        log.info({ export: serving }, 'skipping an export without spec.resources');
        return;
      }
      const desired = exp ? desiredFor(exp, informers, consumerScope) : [];
      const contract = informers.namespaces.lister.get(req.namespace);
      for (const role of desired) {
        await ensurePair(cluster, informers, role, serving, contract, signal);
      }
      await deleteStale(cluster, informers, serving, desired, signal);
    },
  };
}

function desiredFor(
  exp: kb.APIServiceExport,
  informers: Informers,
  consumerScope: InformerScope,
): DesiredRole[] {
  const contract = exp.metadata?.namespace ?? '';
  const serviceNamespaces = informers.serviceNamespaces.lister
    .byIndex(namespaceIndex, contract)
    .flatMap((asn) => {
      const target = asn.status?.namespace;
      const serving = servingKey(contract, asn.metadata?.name ?? '');
      return target && servesAPIServiceNamespace(informers.namespaces.lister.get(target), serving)
        ? [target]
        : [];
    });
  return desiredRoles({
    export: exp,
    consumerScope,
    serviceNamespaces,
    // Unknown (no labelled source yet): namespaced, the least access; its arrival wakes us.
    namespacedResource: (resource, group) =>
      informers.exported.scopeOf(crdName(group, resource)) !== 'Cluster',
  });
}

/** The role and its binding (same name), created or corrected. */
async function ensurePair(
  cluster: Cluster,
  informers: Informers,
  role: DesiredRole,
  serving: string,
  contract: Namespace | undefined,
  signal: AbortSignal,
): Promise<void> {
  const [roleType, bindingType] = role.namespace
    ? [Roles, RoleBindings]
    : [ClusterRoles, ClusterRoleBindings];
  const metadata = {
    name: role.name,
    ...(role.namespace && { namespace: role.namespace }),
    labels: { [managedByLabel]: managedValue },
    annotations: { [exportAnnotation]: serving },
    // Cluster-scoped objects go with the consumer's namespace (namespaced ones with their own).
    ...(!role.namespace &&
      contract?.metadata?.uid && {
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            name: contract.metadata.name ?? '',
            uid: contract.metadata.uid,
          },
        ],
      }),
  };
  const contractNs = serving.split('/')[0] ?? '';
  await ensure(
    cluster,
    informers,
    roleType,
    { metadata, rules: role.rules },
    (live) => sameContent((live as Role).rules, role.rules),
    signal,
  );
  const binding: RoleBinding = {
    metadata,
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: role.namespace ? 'Role' : 'ClusterRole',
      name: role.name,
    },
    subjects: [binderSubject(contractNs)],
  };
  await ensure(
    cluster,
    informers,
    bindingType,
    binding,
    (live) =>
      sameContent((live as RoleBinding).subjects, binding.subjects) &&
      sameContent((live as RoleBinding).roleRef, binding.roleRef),
    signal,
  );
}

async function ensure(
  cluster: Cluster,
  informers: Informers,
  type: ResourceType<RBACObject>,
  desired: RBACObject,
  upToDate: (live: RBACObject) => boolean,
  signal: AbortSignal,
): Promise<void> {
  const namespace = desired.metadata?.namespace;
  const client = new ResourceClient(cluster.client, type, namespace);
  const informer = informers.rbac.find((r) => r.type === type)?.informer;
  const live = informer?.lister.get(namespacedKey(namespace, desired.metadata?.name ?? ''));
  if (!live) {
    try {
      await client.create(desired, { signal });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      // Made by someone else, or our cache lags: correct it from the server's copy.
      const current = await client.get(desired.metadata?.name ?? '', signal);
      if (!upToDate(current) || !ours(current))
        await client.update(
          { ...current, ...desired, metadata: { ...current.metadata, ...desired.metadata } },
          { signal },
        );
    }
    return;
  }
  if (upToDate(live) && ours(live)) return;
  // A roleRef cannot change: replace the binding then.
  if ('roleRef' in desired && !sameContent((live as RoleBinding).roleRef, desired.roleRef)) {
    await client.delete(live.metadata?.name ?? '', { signal });
    await client.create(desired, { signal });
    return;
  }
  await client.update(
    { ...live, ...desired, metadata: { ...live.metadata, ...desired.metadata } },
    { signal },
  );
}

const ours = (obj: KubeObject): boolean => obj.metadata?.labels?.[managedByLabel] === managedValue;

/** Deletes what this export no longer needs (all of it when the export is gone). */
async function deleteStale(
  cluster: Cluster,
  informers: Informers,
  serving: string,
  desired: readonly DesiredRole[],
  signal: AbortSignal,
): Promise<void> {
  const wanted = new Set(desired.map((r) => namespacedKey(r.namespace, r.name)));
  for (const { type, informer } of informers.rbac) {
    for (const obj of informer.lister.byIndex(byExportIndex, serving)) {
      const key = namespacedKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
      if (wanted.has(key)) continue;
      const client = new ResourceClient(cluster.client, type, obj.metadata?.namespace);
      await ignoreNotFound(
        client.delete(obj.metadata?.name ?? '', {
          preconditions: { uid: obj.metadata?.uid ?? '' },
          signal,
        }),
      );
    }
  }
}
