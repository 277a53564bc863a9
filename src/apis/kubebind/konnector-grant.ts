// Applies one binding's konnector RBAC (konnector-rbac.ts) to a consumer cluster, owned by what
// it serves. Shared by the plugin (owner: the APIServiceBinding) and the backend's one-click
// apply (owner: the bundle that makes the binding); both run with a cluster admin's rights.
import type { KubeClient } from '../../kube/client.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../kube/resources.ts';
import { konnectorRBAC, type KonnectorRBACInput } from './konnector-rbac.ts';
import { kubeBindAPIVersion } from './types.gen.ts';

/** The owner of a grant: a kube-bind.io object on the consumer cluster. */
export interface GrantOwner {
  kind: 'APIServiceBinding' | 'APIServiceBindingBundle';
  metadata?: { name?: string; uid?: string };
}

/** Server-side applies the ClusterRole and ClusterRoleBinding; returns their name. */
export async function grantKonnectorRBAC(
  client: KubeClient,
  input: Omit<KonnectorRBACInput, 'owner'>,
  owner: GrantOwner,
  fieldManager: string,
): Promise<string> {
  const rbac = konnectorRBAC({
    ...input,
    owner: {
      apiVersion: kubeBindAPIVersion,
      kind: owner.kind,
      name: owner.metadata?.name ?? '',
      uid: owner.metadata?.uid ?? '',
    },
  });
  const opts = { fieldManager, force: true };
  await new ResourceClient(client, ClusterRoles).apply(rbac.clusterRole, opts);
  await new ResourceClient(client, ClusterRoleBindings).apply(rbac.clusterRoleBinding, opts);
  return rbac.clusterRole.metadata?.name ?? '';
}
