// The cluster controller on the real kube-apiserver: the Cluster `default` gets the
// `kube-bind-oidc-user` role and binding (controlled by it, subjects from the options), and what
// someone else changes or deletes is put back.
import type { ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { clusterController } from '../../../src/backend/controllers/cluster/controller.ts';
import { AlreadyExistsError } from '../../../src/kube/errors.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../../src/kube/resources.ts';
import { eventually, kubeAdmin } from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('cluster controller', () => {
  it('keeps the kube-bind-oidc-user role and binding of the Cluster default', async () => {
    const admin = await kubeAdmin();
    const clusters = new ResourceClient(admin, kb.Clusters);
    const owner = await clusters
      .create({ metadata: { name: 'default' }, spec: {} })
      .catch(async (err: unknown) => {
        if (err instanceof AlreadyExistsError) return clusters.get('default');
        throw err;
      });
    runControllers(admin, [clusterController({ groups: ['providers'], users: ['alice'] })], []);

    const roles = new ResourceClient(admin, ClusterRoles);
    const bindings = new ResourceClient(admin, ClusterRoleBindings);
    const subjectsOf = (b: ClusterRoleBinding) =>
      (b.subjects ?? []).map((s) => `${s.kind}:${s.name}`);
    const binding = await eventually('the binding with the allowed subjects', async () => {
      const b = await bindings.get('kube-bind-oidc-user').catch(() => undefined);
      return b && subjectsOf(b).join() === 'Group:providers,User:alice' ? b : undefined;
    });
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'kube-bind-oidc-user' });
    expect(binding.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Cluster', uid: owner.metadata?.uid, controller: true }),
    ]);
    const role = await roles.get('kube-bind-oidc-user');
    expect(role.rules).toEqual([
      { apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['bind'] },
      { nonResourceURLs: ['/', '/api', '/api/*', '/apis', '/apis/*'], verbs: ['access'] },
    ]);

    // Someone widens the binding: it is put back.
    await bindings.update({
      ...binding,
      subjects: [
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:authenticated' },
      ],
    });
    await eventually('the subjects to be restored', async () => {
      const b = await bindings.get('kube-bind-oidc-user');
      return subjectsOf(b).join() === 'Group:providers,User:alice' ? true : undefined;
    });
    // Someone deletes the role: it comes back.
    await roles.delete('kube-bind-oidc-user');
    await eventually('the role to be recreated', async () => {
      const r = await roles.get('kube-bind-oidc-user').catch(() => undefined);
      return r && r.metadata?.uid !== role.metadata?.uid ? true : undefined;
    });
  });
});
