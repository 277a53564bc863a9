import { describe, expect, it } from 'vitest';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import {
  binderClusterRole,
  binderRoleBinding,
  binderRules,
  binderServiceAccount,
  binderTokenSecret,
  clusterBinding,
  contractNamespace,
  sameRules,
} from './consumer.ts';

const ns = 'cluster-37p3oxx6sh4fd';
const owner = { issuer: 'https://issuer.example', subject: 'alice' };
const who = { identity: 'test-id-123', author: 'alice', owner };

describe('contractNamespace', () => {
  it('carries the identity, author and owners annotations', () => {
    expect(contractNamespace(ns, who)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        annotations: {
          'backend.kube-bind.io/identity': 'test-id-123',
          'backend.kube-bind.io/author': 'alice',
          'backend.kube-bind.io/owners': '[{"issuer":"https://issuer.example","subject":"alice"}]',
        },
      },
    });
  });

  it('leaves an empty author out', () => {
    const owned = { requestNamespace: 'team-a' };
    expect(
      contractNamespace(ns, { identity: 'test-id-123', author: '', owner: owned }).metadata,
    ).toEqual({
      name: ns,
      annotations: {
        'backend.kube-bind.io/identity': 'test-id-123',
        'backend.kube-bind.io/owners': '[{"requestNamespace":"team-a"}]',
      },
    });
  });
});

describe('clusterBinding', () => {
  it('points at the kubeconfig secret and carries the identity annotations', () => {
    expect(clusterBinding(ns, 'My Provider', who)).toEqual({
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'ClusterBinding',
      metadata: {
        name: 'cluster',
        namespace: ns,
        annotations: {
          'backend.kube-bind.io/identity': 'test-id-123',
          'backend.kube-bind.io/author': 'alice',
        },
      },
      spec: {
        kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
        providerPrettyName: 'My Provider',
      },
    });
  });

  it('adds the cluster pretty name only when it is set', () => {
    const named = clusterBinding(ns, 'My Provider', { ...who, clusterPrettyName: 'Laptop' });
    expect(named.metadata?.annotations).toEqual({
      'backend.kube-bind.io/identity': 'test-id-123',
      'backend.kube-bind.io/author': 'alice',
      'backend.kube-bind.io/cluster-pretty-name': 'Laptop',
    });
    const blank = clusterBinding(ns, 'My Provider', { ...who, author: '', clusterPrettyName: '' });
    expect(blank.metadata?.annotations).toEqual({
      'backend.kube-bind.io/identity': 'test-id-123',
    });
  });
});

describe('binderServiceAccount and binderTokenSecret', () => {
  it('are named kube-binder in the contract namespace', () => {
    expect(binderServiceAccount(ns)).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'kube-binder', namespace: ns },
    });
  });

  it('asks for a legacy service account token', () => {
    expect(binderTokenSecret(ns)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'kube-binder',
        namespace: ns,
        annotations: { 'kubernetes.io/service-account.name': 'kube-binder' },
      },
    });
  });
});

describe('binderRules', () => {
  const readWrite = ['create', 'delete', 'patch', 'update', 'get', 'list', 'watch'];
  const read = ['get', 'watch', 'list'];
  const rule = (apiGroup: string, resource: string, verbs: string[]): PolicyRule => ({
    apiGroups: [apiGroup],
    resources: [resource],
    verbs,
  });

  it('are the ten rules of spec §3.3, in order', () => {
    expect(binderRules).toEqual([
      rule('kube-bind.io', 'apiserviceexportrequests', readWrite),
      rule('', 'namespaces', ['get']),
      rule('', 'secrets', read),
      rule('kube-bind.io', 'clusterbindings', read),
      rule('kube-bind.io', 'clusterbindings/status', ['get', 'patch', 'update']),
      rule('kube-bind.io', 'apiserviceexports', read),
      rule('kube-bind.io', 'apiserviceexports/status', ['get', 'patch', 'update']),
      rule('kube-bind.io', 'apiservicenamespaces', readWrite),
      rule('kube-bind.io', 'boundschemas', ['get', 'list', 'watch']),
      rule('kube-bind.io', 'boundschemas/status', ['get', 'list', 'patch', 'update']),
    ]);
  });

  it('make up the kube-binder ClusterRole, as a copy', () => {
    const role = binderClusterRole();
    expect(role).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kube-binder' },
      rules: binderRules,
    });
    role.rules?.[0]?.verbs.push('escalate');
    expect(binderRules[0]?.verbs).toEqual(readWrite);
  });
});

describe('binderRoleBinding', () => {
  it('binds the ClusterRole to the service account in the contract namespace', () => {
    expect(binderRoleBinding(ns)).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'kube-binder', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kube-binder' },
      subjects: [{ kind: 'ServiceAccount', name: 'kube-binder', namespace: ns }],
    });
  });
});

describe('sameRules', () => {
  /** The rules as the server returns them: verbs first, empty lists spelled out. */
  const fromServer = binderRules.map((r) => ({
    verbs: [...r.verbs],
    resourceNames: [],
    resources: [...(r.resources ?? [])],
    apiGroups: [...(r.apiGroups ?? [])],
  }));

  it('is true for the same rules, whatever the key order or absent empty lists', () => {
    expect(sameRules(binderRules, binderRules)).toBe(true);
    expect(sameRules(fromServer, binderRules)).toBe(true);
  });

  it('is order-sensitive, in rules and in verbs', () => {
    expect(sameRules([...binderRules].reverse(), binderRules)).toBe(false);
    const [first, ...rest] = fromServer;
    if (!first) throw new Error('no rules');
    expect(sameRules([{ ...first, verbs: [...first.verbs].reverse() }, ...rest], binderRules)).toBe(
      false,
    );
  });

  it('is false for missing, added or changed rules', () => {
    expect(sameRules(binderRules.slice(1), binderRules)).toBe(false);
    expect(
      sameRules(
        [...binderRules, { apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
        binderRules,
      ),
    ).toBe(false);
    expect(
      sameRules(
        binderRules.map((r, i) => (i === 2 ? { ...r, resourceNames: ['kube-binder'] } : r)),
        binderRules,
      ),
    ).toBe(false);
    expect(
      sameRules(
        binderRules.map((r, i) => (i === 1 ? { ...r, nonResourceURLs: ['/healthz'] } : r)),
        binderRules,
      ),
    ).toBe(false);
  });
});
