import { describe, expect, it } from 'vitest';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { Cluster } from '../../../apis/kubebind/types.gen.ts';
import {
  bindingUpToDate,
  controlledBy,
  oidcUserBinding,
  oidcUserRole,
  roleUpToDate,
} from './decide.ts';

const cluster: Cluster = { metadata: { name: 'default', uid: 'uid-1' }, spec: {} };
const other: Cluster = { metadata: { name: 'default', uid: 'uid-2' }, spec: {} };
const allowed = { groups: ['admins', 'devs'], users: ['alice'] };

const ownerRef = {
  apiVersion: 'kube-bind.io/v1alpha2',
  kind: 'Cluster',
  name: 'default',
  uid: 'uid-1',
  controller: true,
  blockOwnerDeletion: true,
};

/** A deep copy with every object's keys in reverse order, as a server might return them. */
function reversedKeys<T>(value: T): T {
  const reverse = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reverse);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .reverse()
          .map(([k, x]) => [k, reverse(x)]),
      );
    return v;
  };
  return reverse(value) as T;
}

describe('controlledBy', () => {
  it('is a controller reference to the Cluster', () => {
    expect(controlledBy(cluster)).toEqual([ownerRef]);
  });
});

describe('oidcUserRole', () => {
  it('allows bind on kube-bind.io and access to the discovery paths', () => {
    expect(oidcUserRole(cluster)).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kube-bind-oidc-user', ownerReferences: [ownerRef] },
      rules: [
        { apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['bind'] },
        { nonResourceURLs: ['/', '/api', '/api/*', '/apis', '/apis/*'], verbs: ['access'] },
      ],
    });
  });
});

describe('oidcUserBinding', () => {
  it('binds the allowed groups, then the allowed users, to the role', () => {
    expect(oidcUserBinding(cluster, allowed)).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kube-bind-oidc-user', ownerReferences: [ownerRef] },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'kube-bind-oidc-user',
      },
      subjects: [
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'admins' },
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
      ],
    });
  });

  it('binds nobody when nobody is allowed', () => {
    expect(oidcUserBinding(cluster, { groups: [], users: [] }).subjects).toEqual([]);
  });
});

describe('roleUpToDate', () => {
  const desired = oidcUserRole(cluster);
  /** What the server returns: its own key order and fields we do not own. */
  const live = (role: ClusterRole): ClusterRole => {
    const copy = reversedKeys(role);
    copy.metadata = { ...copy.metadata, resourceVersion: '42', uid: 'role-uid' };
    return copy;
  };

  it('is true for the same rules and owner in another key order', () => {
    expect(roleUpToDate(live(desired), desired)).toBe(true);
  });

  it('is false when the rules differ', () => {
    const changed = live(desired);
    changed.rules = [{ apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['bind', 'get'] }];
    expect(roleUpToDate(changed, desired)).toBe(false);
    expect(
      roleUpToDate({ ...live(desired), rules: [...(desired.rules ?? [])].reverse() }, desired),
    ).toBe(false);
    const noRules = live(desired);
    delete noRules.rules;
    expect(roleUpToDate(noRules, desired)).toBe(false);
  });

  it('is false when the owner differs', () => {
    expect(roleUpToDate(live(oidcUserRole(other)), desired)).toBe(false);
    const unowned = live(desired);
    unowned.metadata = { name: 'kube-bind-oidc-user' };
    expect(roleUpToDate(unowned, desired)).toBe(false);
  });
});

describe('bindingUpToDate', () => {
  const desired = oidcUserBinding(cluster, allowed);
  const live = (binding: ClusterRoleBinding): ClusterRoleBinding => reversedKeys(binding);

  it('is true for the same binding in another key order', () => {
    expect(bindingUpToDate(live(desired), desired)).toBe(true);
  });

  it('is false when the subjects differ', () => {
    expect(
      bindingUpToDate(
        live(oidcUserBinding(cluster, { groups: ['admins'], users: ['alice'] })),
        desired,
      ),
    ).toBe(false);
    expect(
      bindingUpToDate(
        live(oidcUserBinding(cluster, { groups: ['devs', 'admins'], users: ['alice'] })),
        desired,
      ),
    ).toBe(false);
    const noSubjects = live(desired);
    delete noSubjects.subjects;
    expect(bindingUpToDate(noSubjects, desired)).toBe(false);
  });

  it('is false when the role or the owner differs', () => {
    expect(
      bindingUpToDate({ ...live(desired), roleRef: { ...desired.roleRef, name: 'x' } }, desired),
    ).toBe(false);
    expect(bindingUpToDate(live(oidcUserBinding(other, allowed)), desired)).toBe(false);
  });
});
