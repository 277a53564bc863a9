import { describe, expect, it } from 'vitest';
import { managedByLabel } from '../../../../apis/kubebind/wire.ts';
import type { ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import {
  bindingAction,
  clusterNameExtra,
  desiredBinding,
  desiredRole,
  roleUpdate,
  subjectOf,
  vwRBACManager,
  vwReaderName,
} from './decide.ts';

const labels = { [managedByLabel]: vwRBACManager };
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });

describe('subjectOf', () => {
  it('is the user itself for a plain user', () => {
    expect(subjectOf({ username: 'kcp-admin', groups: ['system:kcp:admin'] })).toEqual(
      user('kcp-admin'),
    );
  });

  it('is the kcp-wide name of a service account that says which cluster it is from', () => {
    expect(
      subjectOf({
        username: 'system:serviceaccount:default:kube-bind-controller',
        extra: { [clusterNameExtra]: ['2abc'] },
      }),
    ).toEqual(user('system:kcp:serviceaccount:2abc:default:kube-bind-controller'));
  });

  it('is the plain service-account user when no cluster is named (plain Kubernetes)', () => {
    expect(subjectOf({ username: 'system:serviceaccount:kb:backend' })).toEqual(
      user('system:serviceaccount:kb:backend'),
    );
    expect(
      subjectOf({
        username: 'system:serviceaccount:kb:backend',
        extra: { [clusterNameExtra]: [] },
      }),
    ).toEqual(user('system:serviceaccount:kb:backend'));
  });

  it('refuses a review without a user', () => {
    expect(() => subjectOf({})).toThrow(/names no user/);
  });
});

describe('desired objects', () => {
  it('grant entering the workspace and reading its APIBindings, nothing else', () => {
    expect(desiredRole()).toEqual({
      metadata: { name: vwReaderName, labels },
      rules: [
        { nonResourceURLs: ['/'], verbs: ['access'] },
        { apiGroups: ['apis.kcp.io'], resources: ['apibindings'], verbs: ['get', 'list', 'watch'] },
      ],
    });
  });

  it('bind that role to the subject', () => {
    expect(desiredBinding(user('me'))).toEqual({
      metadata: { name: vwReaderName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: vwReaderName },
      subjects: [user('me')],
    });
  });
});

describe('roleUpdate', () => {
  it('leaves the rules as the server returns them alone (other key order)', () => {
    const live = {
      metadata: { name: vwReaderName, resourceVersion: '7', labels },
      rules: [
        { verbs: ['access'], nonResourceURLs: ['/'] },
        { verbs: ['get', 'list', 'watch'], resources: ['apibindings'], apiGroups: ['apis.kcp.io'] },
      ],
    };
    expect(roleUpdate(live, desiredRole())).toBeUndefined();
  });

  it('puts back changed rules, keeping the live metadata', () => {
    const live = { metadata: { name: vwReaderName, resourceVersion: '7', labels }, rules: [] };
    expect(roleUpdate(live, desiredRole())).toEqual({
      metadata: { name: vwReaderName, resourceVersion: '7', labels },
      rules: desiredRole().rules,
    });
  });

  it('labels a role made without the label (by an older backend), keeping its labels', () => {
    const live = { ...desiredRole(), metadata: { name: vwReaderName, labels: { a: 'b' } } };
    expect(roleUpdate(live, desiredRole())?.metadata?.labels).toEqual({ a: 'b', ...labels });
  });
});

describe('bindingAction', () => {
  const desired = desiredBinding(user('me'));
  const live = (patch: Partial<ClusterRoleBinding>): ClusterRoleBinding => ({
    ...desired,
    metadata: { name: vwReaderName, uid: 'u1', resourceVersion: '3', labels },
    ...patch,
  });

  it('does nothing when roleRef and subjects match', () => {
    expect(bindingAction(live({}), desired)).toEqual({ kind: 'none' });
  });

  it('puts back the subjects', () => {
    expect(bindingAction(live({ subjects: [user('someone-else'), user('me')] }), desired)).toEqual({
      kind: 'update',
      binding: live({ subjects: [user('me')] }),
    });
  });

  it('labels a binding made without the label', () => {
    const bare = live({});
    bare.metadata = { ...bare.metadata, labels: {} };
    expect(bindingAction(bare, desired)).toEqual({ kind: 'update', binding: live({}) });
  });

  it('replaces a binding to another role (a roleRef cannot change)', () => {
    const other = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'x' };
    expect(bindingAction(live({ roleRef: other }), desired)).toEqual({ kind: 'replace' });
  });
});
