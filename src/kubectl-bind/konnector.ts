// The konnector on the consumer cluster (spec protocol.md §3.9, §6.4 step 4): the five objects
// (namespace, service account, RBAC, Deployment) are created or updated by server-side apply,
// the consumer kube-bind.io CRDs are installed (the konnector would install them itself once it
// runs; doing it here lets the binding be created right away; existing ones are left alone), and
// then the plugin waits until APIServiceBindings can be listed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { consumerCRDs } from '../apis/kubebind/crds/index.ts';
import { konnectorObjects, type KonnectorObjects } from '../apis/kubebind/konnector-manifests.ts';
import * as kb from '../apis/kubebind/types.gen.ts';
import type { KubeClient } from '../kube/client.ts';
import { installCRDs } from '../kube/crds.ts';
import { ignoreNotFound, NotFoundError } from '../kube/errors.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  CustomResourceDefinitions,
  Deployments,
  Namespaces,
  RoleBindings,
  Roles,
  ServiceAccounts,
} from '../kube/resources.ts';
import { konnectorRBAC } from '../apis/kubebind/konnector-rbac.ts';
import type { ExportRequestDocument } from '../apis/kubebind/documents.ts';

/** The field manager of everything the plugin applies. */
export const fieldManager = 'kubectl-bind';

/** `Kind namespace/name` of each object, in apply order. */
export function describeKonnector(objects: KonnectorObjects): string[] {
  return Object.values(objects).map((o: KubeObject) => {
    const ns = o.metadata?.namespace;
    return `${o.kind ?? ''} ${ns ? `${ns}/` : ''}${o.metadata?.name ?? ''}`;
  });
}

/** The names of the CRDs installed with the konnector. */
export function consumerCRDNames(): string[] {
  return consumerCRDs().map((crd) => crd.metadata?.name ?? '');
}

/**
 * Creates or updates the konnector's objects (server-side apply, taking over the fields this
 * plugin sets; fields others set, e.g. host aliases of the one-click apply, stay) and installs
 * the consumer CRDs.
 */
export async function deployKonnector(client: KubeClient, image: string): Promise<void> {
  const objects = konnectorObjects({ image });
  const apply = async <T extends KubeObject>(type: ResourceType<T>, obj: T) => {
    await new ResourceClient(client, type).apply(obj, { fieldManager, force: true });
  };
  await apply(Namespaces, objects.namespace);
  await apply(ServiceAccounts, objects.serviceAccount);
  await apply(ClusterRoles, objects.clusterRole);
  await apply(ClusterRoleBindings, objects.clusterRoleBinding);
  await apply(Roles, objects.role);
  await apply(RoleBindings, objects.roleBinding);
  await apply(Deployments, objects.deployment);
  // Only missing CRDs: a running konnector owns (and may have upgraded) the ones it installed.
  const crds = new ResourceClient(client, CustomResourceDefinitions);
  const missing: CustomResourceDefinition[] = [];
  for (const crd of consumerCRDs()) {
    if ((await ignoreNotFound(crds.get(crd.metadata?.name ?? ''))) === undefined) {
      missing.push(crd);
    }
  }
  if (missing.length > 0) await installCRDs(client, missing, { fieldManager });
}

/**
 * Waits until APIServiceBindings can be listed (their CRD is served). `timeoutMs` 0 waits
 * without limit; `onWait` is called once if the first attempt fails.
 */
export async function waitForBindingsAPI(
  client: KubeClient,
  timeoutMs: number,
  onWait: () => void,
  intervalMs = 1000,
): Promise<boolean> {
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await bindings.list({ limit: 1 });
      return true;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (attempt === 0) onWait();
    if (timeoutMs > 0 && Date.now() + intervalMs > deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Grants the konnector what syncing `binding` needs (konnector-rbac.ts): a ClusterRole and
 * binding owned by the APIServiceBinding, so they go with it. Applied here, by the user who
 * binds, because the konnector cannot grant itself rights it does not hold.
 */
export async function grantKonnector(
  client: KubeClient,
  binding: kb.APIServiceBinding,
  request: Pick<ExportRequestDocument, 'spec'>,
): Promise<string> {
  const name = binding.metadata?.name ?? '';
  const rbac = konnectorRBAC({
    binding: name,
    resources: request.spec.resources,
    permissionClaims: request.spec.permissionClaims ?? [],
    owner: {
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'APIServiceBinding',
      name,
      uid: binding.metadata?.uid ?? '',
    },
  });
  await new ResourceClient(client, ClusterRoles).apply(rbac.clusterRole, {
    fieldManager,
    force: true,
  });
  await new ResourceClient(client, ClusterRoleBindings).apply(rbac.clusterRoleBinding, {
    fieldManager,
    force: true,
  });
  return rbac.clusterRole.metadata?.name ?? '';
}
