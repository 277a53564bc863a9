// Issue 16, item 8(d), on a real kube-apiserver: the per-binding RBAC granted to the konnector
// (konnector-grant.ts, applied by the plugin and the one-click apply with admin rights) never
// reaches the consumer's built-in objects through the export's resources. A provider whose
// export names `secrets` (core group) or `clusterrolebindings` (RBAC) as "bound resources" made
// the konnector's service account able to read every Secret and rewrite RBAC on the consumer.
// Checked with SubjectAccessReviews as that service account.
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { grantKonnectorRBAC } from '../../src/apis/kubebind/konnector-grant.ts';
import { rbacName } from '../../src/apis/kubebind/konnector-rbac.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { NotFoundError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  SubjectAccessReviews,
} from '../../src/kube/resources.ts';
import { eventually, kubeAdmin, uniqueSuffix } from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

/** Whether the service account may do `verb` on `resource` (cluster-wide when no namespace). */
async function may(
  admin: KubeClient,
  sa: { namespace: string; name: string },
  attrs: { verb: string; group: string; resource: string; namespace?: string; name?: string },
): Promise<boolean> {
  const review = await new ResourceClient(admin, SubjectAccessReviews).create({
    spec: {
      user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`],
      resourceAttributes: attrs,
    },
  });
  return review.status?.allowed === true;
}

/**
 * A real APIServiceBinding to own the grant, as the plugin's is: with an owner that does not
 * exist, the garbage collector would remove the grant under the test.
 */
async function ownerBinding(admin: KubeClient, binding: string) {
  const created = await new ResourceClient(admin, kb.APIServiceBindings).create({
    metadata: { name: binding },
    spec: {
      kubeconfigSecretRef: { name: 'kubeconfig', namespace: 'kube-bind', key: 'kubeconfig' },
    },
  });
  return { kind: 'APIServiceBinding' as const, metadata: created.metadata ?? {} };
}

async function cleanUp(admin: KubeClient, binding: string): Promise<void> {
  const name = rbacName(binding);
  await new ResourceClient(admin, kb.APIServiceBindings).delete(binding).catch(() => undefined);
  await new ResourceClient(admin, ClusterRoleBindings).delete(name).catch(() => undefined);
  await new ResourceClient(admin, ClusterRoles).delete(name).catch(() => undefined);
}

beforeAll(ensureKubeBindCRDs);

describe("the konnector's per-binding grants", () => {
  it('refuse an export that names core or RBAC resources, and grant nothing', async () => {
    const admin = await kubeAdmin();
    const sa = { namespace: 'kube-bind', name: `konnector-${uniqueSuffix()}` };
    const binding = `evil-${uniqueSuffix()}`;
    onTestFinished(() => cleanUp(admin, binding));
    const owner = await ownerBinding(admin, binding);
    const granted = await grantKonnectorRBAC(
      admin,
      {
        binding,
        serviceAccount: sa,
        resources: [
          { group: '', resource: 'secrets', versions: ['v1'] },
          { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', versions: ['v1'] },
        ],
      },
      owner,
      'kube-bind-ts-tests',
    ).catch((err: unknown) => err);
    expect(granted).toBeInstanceOf(Error);
    expect((granted as Error).message).toMatch(/not a custom resource/);
    const role = await new ResourceClient(admin, ClusterRoles)
      .get(rbacName(binding))
      .catch((err: unknown) => err);
    expect(role).toBeInstanceOf(NotFoundError);
    const matrix = {
      listSecrets: await may(admin, sa, { verb: 'list', group: '', resource: 'secrets' }),
      getKubeSystemSecret: await may(admin, sa, {
        verb: 'get',
        group: '',
        resource: 'secrets',
        namespace: 'kube-system',
        name: 'any',
      }),
      createClusterRoleBindings: await may(admin, sa, {
        verb: 'create',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterrolebindings',
      }),
    };
    expect(matrix).toEqual({
      listSecrets: false,
      getKubeSystemSecret: false,
      createClusterRoleBindings: false,
    });
  });

  it('grant a custom resource all verbs, its CRD by name, its claims, nothing else', async () => {
    const admin = await kubeAdmin();
    const sa = { namespace: 'kube-bind', name: `konnector-${uniqueSuffix()}` };
    const binding = `cowboys-${uniqueSuffix()}`;
    onTestFinished(() => cleanUp(admin, binding));
    await grantKonnectorRBAC(
      admin,
      {
        binding,
        serviceAccount: sa,
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
      },
      await ownerBinding(admin, binding),
      'kube-bind-ts-tests',
    );
    const crd = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' };
    // The apiserver's RBAC authorizer sees new roles through its informers, a moment later.
    await eventually('the grant to take effect', async () =>
      (await may(admin, sa, { verb: 'create', group: 'wildwest.dev', resource: 'cowboys' }))
        ? true
        : undefined,
    );
    const matrix = {
      cowboys: await may(admin, sa, { verb: 'create', group: 'wildwest.dev', resource: 'cowboys' }),
      ownCRD: await may(admin, sa, { verb: 'delete', ...crd, name: 'cowboys.wildwest.dev' }),
      otherCRD: await may(admin, sa, { verb: 'delete', ...crd, name: 'sheriffs.wildwest.dev' }),
      // The claimed secrets are read (consumer → provider) and written (provider → consumer);
      // a claim by label or reference may select any Secret, wherever the binding maps to.
      readSecrets: await may(admin, sa, { verb: 'watch', group: '', resource: 'secrets' }),
      writeSecrets: await may(admin, sa, {
        verb: 'update',
        group: '',
        resource: 'secrets',
        namespace: 'wild-west',
        name: 'any',
      }),
      deleteSecrets: await may(admin, sa, {
        verb: 'delete',
        group: '',
        resource: 'secrets',
        namespace: 'wild-west',
        name: 'any',
      }),
      // Not verbs the sync uses: it updates whole objects and deletes one copy at a time.
      patchSecrets: await may(admin, sa, {
        verb: 'patch',
        group: '',
        resource: 'secrets',
        namespace: 'wild-west',
        name: 'any',
      }),
      deleteCollectionSecrets: await may(admin, sa, {
        verb: 'deletecollection',
        group: '',
        resource: 'secrets',
        namespace: 'wild-west',
      }),
      configmaps: await may(admin, sa, { verb: 'get', group: '', resource: 'configmaps' }),
      createConfigmaps: await may(admin, sa, {
        verb: 'create',
        group: '',
        resource: 'configmaps',
        namespace: 'wild-west',
      }),
      serviceaccountTokens: await may(admin, sa, {
        verb: 'create',
        group: '',
        resource: 'serviceaccounts/token',
        namespace: 'wild-west',
        name: 'any',
      }),
      roles: await may(admin, sa, {
        verb: 'create',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
      }),
    };
    expect(matrix).toEqual({
      cowboys: true,
      ownCRD: true,
      otherCRD: false,
      readSecrets: true,
      writeSecrets: true,
      deleteSecrets: true,
      patchSecrets: false,
      deleteCollectionSecrets: false,
      configmaps: false,
      createConfigmaps: false,
      serviceaccountTokens: false,
      roles: false,
    });
  });
});
