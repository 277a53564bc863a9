// The vwrbac controller (docs/controllers.md §6.4, kcp only): in every engaged workspace, keeps the
// ClusterRole and ClusterRoleBinding `kube-bind-vw-apibinding-reader` that let the backend read
// bound schemas through the apiresourceschema virtual workspace (see decide.ts). Any APIBinding
// event wakes it (so a workspace is served once it binds kube-bind.io), as do changes to the two
// objects themselves (selected by label), whose drift is corrected. No owner references: they
// belong to the workspace, not to any one object in it.
import type { SelfSubjectReview } from 'kubernetes-types/authentication/v1.js';
import type { ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import type { Logger } from 'pino';
import type { KubeClient } from '../../../../kube/client.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../../kube/errors.ts';
import { ResourceClient } from '../../../../kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../../../kube/resources.ts';
import type { APIBinding } from '../../../../apis/kubebind/kcp.ts';
import { APIBindings } from '../../../../providers/kcp/bootstrap.ts';
import type { Informer } from '../../../../runtime/cache/informer.ts';
import type { ControllerSpec } from '../../../../runtime/controller/controller.ts';
import { watch } from '../../../../runtime/controller/handlers.ts';
import { managedByLabel } from '../../../../apis/kubebind/wire.ts';
import { perCluster } from '../../per-cluster.ts';
import {
  bindingAction,
  desiredBinding,
  desiredRole,
  roleUpdate,
  subjectOf,
  vwRBACManager,
  vwReaderName,
} from './decide.ts';

export const vwRBACControllerName = 'kube-bind-backend-kcp-vwrbac';

/**
 * The backend's identity as an RBAC subject, from a SelfSubjectReview with its own credentials
 * (computed once at start-up). Throws when the server cannot say who we are.
 */
export async function vwSubject(client: KubeClient, signal?: AbortSignal): Promise<Subject> {
  let review: SelfSubjectReview;
  try {
    review = await client.request<SelfSubjectReview>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        ...(signal && { signal }),
      },
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot tell who the backend is (SelfSubjectReview failed): ${why}`, {
      cause: err,
    });
  }
  return subjectOf(review.status?.userInfo ?? {});
}

interface PerCluster {
  bindings: Informer<APIBinding>;
  roles: Informer<ClusterRole>;
  roleBindings: Informer<ClusterRoleBinding>;
}

/** The one key this controller reconciles per cluster. */
const request = [{ name: vwReaderName }];

export function vwRBACController(subject: Subject): ControllerSpec {
  const ours = { labelSelector: `${managedByLabel}=${vwRBACManager}` };
  const of = perCluster((cluster): PerCluster => ({
    bindings: cluster.informers.informerFor(APIBindings),
    roles: cluster.informers.informerFor(ClusterRoles, ours),
    roleBindings: cluster.informers.informerFor(ClusterRoleBindings, ours),
  }));
  return {
    name: vwRBACControllerName,
    watches: (cluster) => {
      const { bindings, roles, roleBindings } = of(cluster);
      return [
        watch(bindings, { map: () => request }),
        watch(roles, { map: () => request }),
        watch(roleBindings, { map: () => request }),
      ];
    },
    reconcile: async (_req, { cluster, log, signal }) => {
      const state = of(cluster);
      const roles = new ResourceClient(cluster.client, ClusterRoles);
      const role = desiredRole();
      await ensure(roles, state.roles.lister.get(vwReaderName), role, log, signal, async (live) => {
        const update = roleUpdate(live, role);
        if (!update) return;
        await roles.update(update, { signal });
        log.info({ clusterRole: vwReaderName }, 'corrected the rules');
      });

      const bindings = new ResourceClient(cluster.client, ClusterRoleBindings);
      const binding = desiredBinding(subject);
      const cached = state.roleBindings.lister.get(vwReaderName);
      await ensure(bindings, cached, binding, log, signal, async (live) => {
        const action = bindingAction(live, binding);
        if (action.kind === 'update') {
          await bindings.update(action.binding, { signal });
          log.info({ clusterRoleBinding: vwReaderName }, 'corrected the subjects');
        } else if (action.kind === 'replace') {
          const uid = live.metadata?.uid ?? '';
          await ignoreNotFound(bindings.delete(vwReaderName, { preconditions: { uid }, signal }));
          await bindings.create(binding, { signal });
          log.info({ clusterRoleBinding: vwReaderName }, 'replaced it: its roleRef was wrong');
        }
      });
    },
  };
}

/**
 * Creates `desired` when the cache has no `cached` copy; otherwise, or when it exists after all
 * (the cache lags), hands the live object to `fix`.
 */
async function ensure<T extends ClusterRole | ClusterRoleBinding>(
  client: ResourceClient<T>,
  cached: T | undefined,
  desired: T,
  log: Logger,
  signal: AbortSignal,
  fix: (live: T) => Promise<void>,
): Promise<void> {
  let live = cached;
  if (!live) {
    const name = desired.metadata?.name ?? '';
    try {
      await client.create(desired, { signal });
      log.info({ kind: client.type.kind, name }, 'created');
      return;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      live = await client.get(name, signal);
    }
  }
  await fix(live);
}
