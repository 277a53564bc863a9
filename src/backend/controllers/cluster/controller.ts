// The cluster controller (docs/controllers.md §5.1): for the Cluster `default`, keeps the
// `kube-bind-oidc-user` ClusterRole and ClusterRoleBinding as the options say. Changes by others
// to what we own are undone; objects are written only when they differ. Upstream reconciles every
// Cluster object, and several would fight over the two singletons; only `default` counts here.
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { ignoreAlreadyExists } from '../../../kube/errors.ts';
import { ResourceClient, type KubeObject } from '../../../kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../../kube/resources.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, forOwner, watch } from '../../../runtime/controller/handlers.ts';
import {
  bindingUpToDate,
  oidcUserBinding,
  oidcUserName,
  oidcUserRole,
  roleUpToDate,
  type AllowedUsers,
} from './decide.ts';
import { perCluster } from '../per-cluster.ts';

export const clusterControllerName = 'kube-bind-backend-cluster';
export const defaultClusterName = 'default';

interface Informers {
  clusters: Informer<kb.Cluster>;
  roles: Informer<ClusterRole>;
  bindings: Informer<ClusterRoleBinding>;
}

export function clusterController(allowed: AllowedUsers): ControllerSpec {
  const informersOf = perCluster((cluster): Informers => {
    // Only our two objects: a cluster may have thousands of roles.
    const ours = { fieldSelector: `metadata.name=${oidcUserName}` };
    return {
      clusters: cluster.informers.informerFor(kb.Clusters),
      roles: cluster.informers.informerFor(ClusterRoles, ours),
      bindings: cluster.informers.informerFor(ClusterRoleBindings, ours),
    };
  });
  return {
    name: clusterControllerName,
    watches: (cluster) => {
      const { clusters, roles, bindings } = informersOf(cluster);
      return [
        watch(clusters, {
          map: forObject(),
          filter: (obj) => obj.metadata?.name === defaultClusterName,
        }),
        watch(roles, { map: forOwner(kb.Clusters) }),
        watch(bindings, { map: forOwner(kb.Clusters) }),
      ];
    },
    reconcile: async (req, { cluster, signal }) => {
      const { clusters, roles, bindings } = informersOf(cluster);
      const owner = req.name === defaultClusterName ? clusters.lister.get(req.name) : undefined;
      if (!owner) return;
      await ensure(
        new ResourceClient(cluster.client, ClusterRoles),
        roles.lister.get(oidcUserName),
        oidcUserRole(owner),
        roleUpToDate,
        signal,
      );
      await ensure(
        new ResourceClient(cluster.client, ClusterRoleBindings),
        bindings.lister.get(oidcUserName),
        oidcUserBinding(owner, allowed),
        bindingUpToDate,
        signal,
      );
    },
  };
}

/** Creates `desired`, or updates the cached object when `upToDate` says it differs. */
async function ensure<T extends KubeObject>(
  resource: ResourceClient<T>,
  live: T | undefined,
  desired: T,
  upToDate: (live: T, desired: T) => boolean,
  signal: AbortSignal,
): Promise<void> {
  if (!live) {
    // AlreadyExists: the cache lags our own create; the next event brings another pass.
    await ignoreAlreadyExists(resource.create(desired, { signal }));
    return;
  }
  if (upToDate(live, desired)) return;
  // The cached resourceVersion makes this a compare-and-swap: a conflict retries with backoff.
  await resource.update(
    { ...live, ...desired, metadata: { ...live.metadata, ...desired.metadata } },
    { signal },
  );
}
