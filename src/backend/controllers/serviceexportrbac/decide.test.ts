import { describe, expect, it, vi } from 'vitest';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type {
  APIServiceExport,
  APIServiceExportResource,
  PermissionClaim,
} from '../../../apis/kubebind/types.gen.ts';
import { binderSubject, desiredRoles, type RBACInput } from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';

const exportOf = (
  resources: APIServiceExportResource[],
  permissionClaims?: PermissionClaim[],
  namespace = contract,
): APIServiceExport => ({
  metadata: { name: 'widgets', namespace },
  spec: {
    resources,
    ...(permissionClaims && { permissionClaims }),
    informerScope: 'Namespaced',
    isolation: 'Prefixed',
  },
});

const claim = (group: string | undefined, resource: string): PermissionClaim =>
  group === undefined ? { resource, selector: {} } : { group, resource, selector: {} };

/** Resources named here (`<resource>.<group>`) are cluster-scoped on the provider. */
const clusterScoped =
  (...names: string[]) =>
  (resource: string, group: string): boolean =>
    !names.includes(`${resource}.${group}`);

const input = (exp: APIServiceExport, overrides: Partial<RBACInput> = {}): RBACInput => ({
  export: exp,
  consumerScope: 'Namespaced',
  namespacedResource: clusterScoped(),
  serviceNamespaces: [],
  ...overrides,
});

const allVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const rule = (group: string, resource: string): PolicyRule => ({
  apiGroups: [group],
  resources: [resource],
  verbs: allVerbs,
});

const widgetRule = rule('example.com', 'widgets');
/** Claimed objects: no patch (neither konnector patches them). */
const claimRule = (resource: string): PolicyRule => ({
  apiGroups: [''],
  resources: [resource],
  verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
});

// --- desiredRoles -----------------------------------------------------------------------------

describe('desiredRoles', () => {
  it('wants nothing for an export without resources and claims', () => {
    expect(desiredRoles(input(exportOf([])))).toEqual([]);
  });

  it('gives namespaced resources a Role in the contract and every service namespace', () => {
    const roles = desiredRoles(
      input(exportOf([{ group: 'example.com', resource: 'widgets' }]), {
        serviceNamespaces: ['ns-b', contract, 'ns-a', 'ns-b'],
      }),
    );
    expect(roles).toEqual([
      { namespace: contract, name: 'kube-binder-resources-widgets', rules: [widgetRule] },
      { namespace: 'ns-a', name: 'kube-binder-resources-widgets', rules: [widgetRule] },
      { namespace: 'ns-b', name: 'kube-binder-resources-widgets', rules: [widgetRule] },
    ]);
  });

  it('gives a cluster-scoped resource a ClusterRole named after contract and export', () => {
    const namespacedResource = vi.fn(clusterScoped('clusterthings.example.com'));
    const exp = exportOf([
      { group: 'example.com', resource: 'widgets' },
      { group: 'example.com', resource: 'clusterthings' },
    ]);
    const roles = desiredRoles(input(exp, { namespacedResource, serviceNamespaces: ['ns-a'] }));
    expect(roles).toEqual([
      {
        name: `kube-binder-resources-${contract}-widgets`,
        rules: [rule('example.com', 'clusterthings')],
      },
      { namespace: contract, name: 'kube-binder-resources-widgets', rules: [widgetRule] },
      { namespace: 'ns-a', name: 'kube-binder-resources-widgets', rules: [widgetRule] },
    ]);
    expect(namespacedResource).toHaveBeenCalledWith('clusterthings', 'example.com');
    expect(namespacedResource).toHaveBeenCalledWith('widgets', 'example.com');
  });

  it('keeps every consumer apart: cluster-wide names carry the contract namespace', () => {
    const exp = (ns: string) =>
      exportOf([{ group: 'example.com', resource: 'widgets' }], undefined, ns);
    const names = ['kube-bind-a', 'kube-bind-b'].flatMap((ns) =>
      desiredRoles(input(exp(ns), { consumerScope: 'Cluster' })).map((r) => r.name),
    );
    expect(names).toEqual([
      'kube-binder-resources-kube-bind-a-widgets',
      'kube-binder-resources-kube-bind-b-widgets',
    ]);
  });

  it('with consumer scope Cluster makes resources cluster-wide but keeps claims per namespace', () => {
    const exp = exportOf(
      [{ group: 'example.com', resource: 'widgets' }],
      [claim('', 'secrets'), claim(undefined, 'configmaps')],
    );
    const roles = desiredRoles(
      input(exp, { consumerScope: 'Cluster', serviceNamespaces: ['ns-a', 'ns-b'] }),
    );
    const claimRules = [claimRule('configmaps'), claimRule('secrets')];
    // Never a ClusterRole over claimed Secrets: that would be every Secret of the provider.
    expect(roles).toEqual([
      { name: `kube-binder-resources-${contract}-widgets`, rules: [widgetRule] },
      { namespace: contract, name: 'kube-binder-claims-widgets', rules: claimRules },
      { namespace: 'ns-a', name: 'kube-binder-claims-widgets', rules: claimRules },
      { namespace: 'ns-b', name: 'kube-binder-claims-widgets', rules: claimRules },
    ]);
  });

  it('turns only claimable claims into kube-binder-claims rules, per namespace', () => {
    const exp = exportOf(
      [{ group: 'example.com', resource: 'widgets' }],
      [
        claim('', 'serviceaccounts'),
        claim('apps', 'deployments'),
        claim(undefined, 'secrets'),
        claim('example.com', 'configmaps'),
        claim('', 'configmaps'),
      ],
    );
    const roles = desiredRoles(input(exp, { serviceNamespaces: ['ns-a'] }));
    const claimRules = [
      claimRule('configmaps'),
      claimRule('secrets'),
      claimRule('serviceaccounts'),
    ];
    expect(roles).toEqual([
      { namespace: contract, name: 'kube-binder-resources-widgets', rules: [widgetRule] },
      { namespace: 'ns-a', name: 'kube-binder-resources-widgets', rules: [widgetRule] },
      { namespace: contract, name: 'kube-binder-claims-widgets', rules: claimRules },
      { namespace: 'ns-a', name: 'kube-binder-claims-widgets', rules: claimRules },
    ]);
  });

  it('wants no claims role when no claim is claimable', () => {
    const exp = exportOf([{ group: 'example.com', resource: 'widgets' }], [claim('apps', 'pods')]);
    expect(desiredRoles(input(exp)).map((r) => r.name)).toEqual(['kube-binder-resources-widgets']);
  });

  it('writes one rule per group and resource, sorted by <resource>.<group>, duplicates collapsed', () => {
    const exp = exportOf([
      { group: 'example.com', resource: 'widgets', versions: ['v1'] },
      { group: 'example.com', resource: 'gadgets' },
      { group: 'a.io', resource: 'widgets' },
      { group: 'example.com', resource: 'widgets', versions: ['v2'] },
    ]);
    const [role, ...others] = desiredRoles(input(exp));
    expect(others).toEqual([]);
    expect(role?.rules).toEqual([
      {
        apiGroups: ['example.com'],
        resources: ['gadgets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['a.io'],
        resources: ['widgets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['example.com'],
        resources: ['widgets'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
    ]);
  });

  it('does not let one role share its verbs with another', () => {
    const exp = exportOf([
      { group: 'example.com', resource: 'widgets' },
      { group: 'example.com', resource: 'gadgets' },
    ]);
    const [role] = desiredRoles(input(exp));
    role?.rules[0]?.verbs.push('escalate');
    expect(role?.rules[1]?.verbs).toEqual(allVerbs);
  });
});

describe('binderSubject', () => {
  it('is the consumer service account kube-binder in the contract namespace', () => {
    expect(binderSubject(contract)).toEqual({
      kind: 'ServiceAccount',
      name: 'kube-binder',
      namespace: contract,
    });
  });
});
