// The shared Kubernetes control plane behaves like a real cluster: the API server validates and
// serves CRDs, RBAC decides, and kube-controller-manager finalizes namespaces, fills
// service-account token secrets and garbage-collects dependents.
import { widgetCrd } from '../fixtures/widget-crd.ts';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { ForbiddenError, ignoreNotFound } from '../../src/kube/errors.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  kubeAs,
  testNamespace,
  uniqueSuffix,
} from '../harness/context.ts';

interface ObjectMeta {
  name: string;
  uid: string;
  namespace?: string;
  deletionTimestamp?: string;
}
interface KubeObject {
  metadata: ObjectMeta;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
}

async function gone(client: KubeClient, path: string): Promise<true | undefined> {
  return (await ignoreNotFound(client.get(path))) === undefined ? true : undefined;
}

describe('kubernetes control plane', () => {
  it('establishes a CRD and serves its custom objects', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin);
    const group = `smoke-${uniqueSuffix()}.kube-bind-ts.test`;
    const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`;
    await admin.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd(group));
    try {
      const established = await eventually('the CRD to be Established', async () => {
        const crd = await admin.get<{ status?: { conditions?: Condition[] } }>(crdPath);
        return crd.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True');
      });
      expect(established.status).toBe('True');

      const widgets = `/apis/${group}/v1/namespaces/${ns}/widgets`;
      const created = await eventually('the widgets resource to be served', () =>
        admin.create<KubeObject & { spec: { size: number } }>(widgets, {
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w1' },
          spec: { size: 3 },
        }),
      );
      expect(created.spec.size).toBe(3);
      // The schema is enforced by the server, not by us.
      await expect(
        admin.create(widgets, {
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w2' },
          spec: { size: 0 },
        }),
      ).rejects.toMatchObject({ code: 422, reason: 'Invalid' });
    } finally {
      await admin.delete(crdPath);
    }
  });

  it('finalizes a deleted namespace until it is really gone', async () => {
    const admin = await kubeAdmin();
    const name = `smoke-ns-${uniqueSuffix()}`;
    await admin.create('/api/v1/namespaces', { metadata: { name } });
    await admin.create(`/api/v1/namespaces/${name}/configmaps`, {
      metadata: { name: 'content' },
      data: { a: 'b' },
    });

    const deleted = await admin.delete<KubeObject & { status: { phase: string } }>(
      `/api/v1/namespaces/${name}`,
    );
    expect(deleted.status.phase).toBe('Terminating');
    // Only the namespace controller empties the namespace and removes the `kubernetes` finalizer.
    expect(
      await eventually('the namespace to disappear', () =>
        gone(admin, `/api/v1/namespaces/${name}`),
      ),
    ).toBe(true);
  });

  it('fills a service-account token secret with a working token and the CA', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin);
    await admin.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'robot' } });
    await admin.create(`/api/v1/namespaces/${ns}/secrets`, {
      metadata: {
        name: 'robot-token',
        annotations: { 'kubernetes.io/service-account.name': 'robot' },
      },
      type: 'kubernetes.io/service-account-token',
    });
    const data = await eventually('the token controller to fill the secret', async () => {
      const secret = await admin.get<KubeObject>(`/api/v1/namespaces/${ns}/secrets/robot-token`);
      return secret.data?.['token'] && secret.data['ca.crt'] ? secret.data : undefined;
    });
    const caPem = Buffer.from(data['ca.crt'] ?? '', 'base64').toString();
    expect(caPem).toBe(controlPlane().kube.ca?.certPem);

    const token = Buffer.from(data['token'] ?? '', 'base64').toString();
    const asRobot = new KubeClient({
      server: admin.server.origin,
      caPem,
      authorization: () => Promise.resolve(`Bearer ${token}`),
    });
    try {
      const review = await asRobot.create<{ status: { userInfo: { username: string } } }>(
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      );
      expect(review.status.userInfo.username).toBe(`system:serviceaccount:${ns}:robot`);
    } finally {
      await asRobot.close();
    }
  });

  it('denies an unprivileged user by RBAC, in a SubjectAccessReview and in a real request', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin);
    const user = `smoke-user-${uniqueSuffix()}`;
    const alice = await kubeAs(user, ['smoke-testers']);
    const secrets = `/api/v1/namespaces/${ns}/secrets`;
    const review = (): Promise<{ status: { allowed: boolean } }> =>
      admin.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user,
          groups: ['smoke-testers'],
          resourceAttributes: { namespace: ns, verb: 'list', resource: 'secrets' },
        },
      });

    expect((await review()).status.allowed).toBe(false);
    const denied = await alice.get(secrets).catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(ForbiddenError);
    expect((denied as ForbiddenError).code).toBe(403);

    // Granting the permission flips both answers: RBAC, not something else, denied it.
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'read-secrets' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
    });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'read-secrets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
    await eventually('the role binding to take effect', async () =>
      (await review()).status.allowed ? true : undefined,
    );
    const list = await alice.get<{ items: unknown[] }>(secrets);
    expect(Array.isArray(list.items)).toBe(true);
  });

  it('garbage-collects a dependent whose owner is deleted', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin);
    const cms = `/api/v1/namespaces/${ns}/configmaps`;
    const owner = await admin.create<KubeObject>(cms, { metadata: { name: 'owner' } });
    await admin.create(cms, {
      metadata: {
        name: 'dependent',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid },
        ],
      },
    });
    await admin.delete(`${cms}/owner`);
    expect(
      await eventually('the garbage collector to delete the dependent', () =>
        gone(admin, `${cms}/dependent`),
      ),
    ).toBe(true);
  });
});
