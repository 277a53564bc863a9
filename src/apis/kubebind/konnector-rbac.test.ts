import { describe, expect, it } from 'vitest';
import type { PermissionClaim } from './types.gen.ts';
import { konnectorBindingLabel as bindingLabel } from './wire.ts';
import {
  bindingLabelValue,
  konnectorRBAC,
  konnectorRules,
  namedOnly,
  rbacName,
  unsupportedClaims,
} from './konnector-rbac.ts';

const claim = (resource: string, group?: string): PermissionClaim => ({
  ...(group === undefined ? {} : { group }),
  resource,
  selector: {},
});

const all = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** What the claim syncer does with claimed objects: no patch, no deletecollection. */
const claimVerbs = ['get', 'list', 'watch', 'create', 'update', 'delete'];
const byName = ['get', 'list', 'watch', 'update', 'delete'];

describe('konnectorRBAC', () => {
  const { clusterRole, clusterRoleBinding } = konnectorRBAC({
    binding: 'cowboys',
    resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
    permissionClaims: [claim('secrets', ''), claim('configmaps')],
  });

  it('grants exactly the binding’s needs', () => {
    expect(clusterRole.rules).toEqual([
      { apiGroups: ['wildwest.dev'], resources: ['cowboys'], verbs: all },
      {
        apiGroups: ['wildwest.dev'],
        resources: ['cowboys/status'],
        verbs: ['get', 'update', 'patch'],
      },
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['cowboys.wildwest.dev'],
        verbs: ['get', 'update', 'patch', 'delete'],
      },
      // Claimed objects flow both ways: the provider's are written on the consumer.
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: claimVerbs },
    ]);
  });

  it('is owned by what it serves, so it goes with it', () => {
    const owner = {
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'APIServiceBinding',
      name: 'cowboys',
      uid: 'u-1',
    };
    const rbac = konnectorRBAC({ binding: 'cowboys', resources: [], owner });
    expect(rbac.clusterRole.metadata?.ownerReferences).toEqual([owner]);
    expect(rbac.clusterRoleBinding.metadata?.ownerReferences).toEqual([owner]);
  });

  it('names, labels and binds to the konnector service account', () => {
    expect(clusterRole.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(clusterRole.kind).toBe('ClusterRole');
    expect(clusterRole.metadata).toEqual({
      name: 'kube-bind-konnector-cowboys',
      labels: { 'konnector.kube-bind.io/binding': 'cowboys' },
      annotations: { 'konnector.kube-bind.io/binding': 'cowboys' },
    });
    expect(clusterRoleBinding).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: clusterRole.metadata,
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'kube-bind-konnector-cowboys',
      },
      subjects: [{ kind: 'ServiceAccount', namespace: 'kube-bind', name: 'konnector' }],
    });
    expect(clusterRoleBinding.metadata).not.toBe(clusterRole.metadata);
  });

  it('takes another service account', () => {
    const { clusterRoleBinding: b } = konnectorRBAC({
      binding: 'x',
      resources: [{ group: 'g.io', resource: 'r' }],
      serviceAccount: { namespace: 'ns', name: 'sa' },
    });
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', namespace: 'ns', name: 'sa' }]);
  });

  it('has no wildcard anywhere', () => {
    const text = JSON.stringify(clusterRole.rules);
    expect(text).not.toContain('*');
    for (const rule of clusterRole.rules ?? []) {
      expect(rule.resources?.length).toBeGreaterThan(0);
      expect(rule.nonResourceURLs).toBeUndefined();
    }
  });
});

describe('konnectorRules', () => {
  const resources = [
    { group: 'b.io', resource: 'things' },
    { group: 'a.io', resource: 'zs' },
    { group: 'a.io', resource: 'as' },
    { group: 'a.io', resource: 'as' },
  ];

  it('groups resources by group, sorted and deduplicated', () => {
    const rules = konnectorRules({ binding: 'b', resources });
    expect(rules.slice(0, 4)).toEqual([
      { apiGroups: ['a.io'], resources: ['as', 'zs'], verbs: all },
      {
        apiGroups: ['a.io'],
        resources: ['as/status', 'zs/status'],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: ['b.io'], resources: ['things'], verbs: all },
      { apiGroups: ['b.io'], resources: ['things/status'], verbs: ['get', 'update', 'patch'] },
    ]);
    expect(
      rules.find((r) => r.resourceNames && r.resources?.[0] === 'customresourcedefinitions'),
    ).toMatchObject({ resourceNames: ['as.a.io', 'things.b.io', 'zs.a.io'] });
  });

  it('claims add only their own resources', () => {
    const without = konnectorRules({ binding: 'b', resources });
    const withClaims = konnectorRules({
      binding: 'b',
      resources,
      permissionClaims: [claim('serviceaccounts'), claim('serviceaccounts', '')],
    });
    expect(withClaims.length).toBe(without.length + 1);
    const added = withClaims.filter(
      (r) => !without.some((w) => JSON.stringify(w) === JSON.stringify(r)),
    );
    expect(added).toEqual([{ apiGroups: [''], resources: ['serviceaccounts'], verbs: claimVerbs }]);
    // Without claims no core resource is granted (namespaces and events are in the base role).
    const core = without.filter((r) => r.apiGroups?.includes('')).flatMap((r) => r.resources);
    expect(core).toEqual([]);
  });

  it('leaves out claims the konnector does not sync', () => {
    const claims = [claim('secrets'), claim('deployments', 'apps'), claim('pods'), claim('*')];
    const rules = konnectorRules({ binding: 'b', resources, permissionClaims: claims });
    expect(rules.filter((r) => r.apiGroups?.[0] === '')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: claimVerbs },
    ]);
    expect(JSON.stringify(rules)).not.toMatch(/deployments|pods|\*/);
    expect(unsupportedClaims(claims).map((c) => c.resource)).toEqual(['deployments', 'pods', '*']);
    expect(unsupportedClaims()).toEqual([]);
  });

  it('rejects wildcard or invalid bound resources and an empty binding name', () => {
    expect(() =>
      konnectorRules({ binding: 'b', resources: [{ group: 'a.io', resource: '*' }] }),
    ).toThrow();
    expect(() =>
      konnectorRules({ binding: 'b', resources: [{ group: '*', resource: 'r' }] }),
    ).toThrow();
    expect(() => konnectorRules({ binding: '', resources })).toThrow();
  });

  it('grants a claim that names its objects those names only, and create (never by name)', () => {
    const named = (...names: string[]): PermissionClaim => ({
      group: '',
      resource: 'secrets',
      selector: { namedResources: names.map((name) => ({ name, namespace: 'ns' })) },
    });
    const rules = konnectorRules({
      binding: 'b',
      resources,
      permissionClaims: [named('colt', 'b'), named('colt'), claim('configmaps')],
    });
    expect(rules.filter((r) => r.apiGroups?.[0] === '')).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: claimVerbs },
      // RBAC matches `create` without a name, so resourceNames could never allow it.
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['b', 'colt'],
        verbs: byName,
      },
    ]);
    // Two named resources share one `create` rule; no other verb goes without a name.
    const configmap: PermissionClaim = {
      group: '',
      resource: 'configmaps',
      selector: { namedResources: [{ name: 'endpoint' }] },
    };
    const both = konnectorRules({
      binding: 'b',
      resources,
      permissionClaims: [named('colt'), configmap],
    }).filter((r) => r.apiGroups?.[0] === '');
    expect(both).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['endpoint'],
        verbs: byName,
      },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['colt'],
        verbs: byName,
      },
    ]);
    // A label selector or references next to the names: the konnector must see every secret.
    const mixed = {
      ...named('colt'),
      selector: { namedResources: [{ name: 'colt' }], labelSelector: { matchLabels: { a: 'b' } } },
    };
    expect(namedOnly(mixed.selector)).toBeUndefined();
    expect(namedOnly(named('colt').selector)).toEqual([{ name: 'colt', namespace: 'ns' }]);
    expect(namedOnly({ namedResources: [{ name: 'x,y' }] })).toBeUndefined();
    expect(
      konnectorRules({ binding: 'b', resources, permissionClaims: [named('colt'), mixed] }).filter(
        (r) => r.apiGroups?.[0] === '',
      ),
    ).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: claimVerbs }]);
  });

  it('refuses bound resources in the core group or Kubernetes’ own groups', () => {
    for (const group of [
      '',
      'apps',
      'rbac.authorization.k8s.io',
      'k8s.io',
      'kube-bind.io',
      'A.io',
    ]) {
      expect(
        () => konnectorRules({ binding: 'b', resources: [{ group, resource: 'secrets' }] }),
        group,
      ).toThrow(/not a custom resource/);
    }
    // Custom groups, x-k8s.io projects included, are fine.
    for (const group of ['wildwest.dev', 'cluster.x-k8s.io']) {
      expect(
        konnectorRules({ binding: 'b', resources: [{ group, resource: 'things' }] })[0],
      ).toMatchObject({
        apiGroups: [group],
      });
    }
  });

  it('does not share verb arrays between rules', () => {
    const [a, , c] = konnectorRules({ binding: 'b', resources });
    expect(a?.verbs).not.toBe(c?.verbs);
  });
});

describe('names', () => {
  it('keep long binding names valid', () => {
    const long = 'x'.repeat(250);
    expect(rbacName(long)).toHaveLength(253);
    expect(rbacName(long)).toMatch(/^kube-bind-konnector-x+-[0-9a-f]{8}$/);
    expect(rbacName(long)).not.toBe(rbacName(`${long}y`));
    expect(bindingLabelValue(long)).toHaveLength(63);
    expect(bindingLabelValue('short')).toBe('short');
    const { clusterRole } = konnectorRBAC({
      binding: long,
      resources: [{ group: 'g.io', resource: 'r' }],
    });
    expect(clusterRole.metadata?.labels?.[bindingLabel]).toBe(bindingLabelValue(long));
    expect(clusterRole.metadata?.annotations?.[bindingLabel]).toBe(long);
  });
});
