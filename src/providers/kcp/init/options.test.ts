import { describe, expect, it } from 'vitest';
import { loadKcpInitOptions, parseSubject } from './options.ts';

describe('parseSubject', () => {
  it('reads groups, users and service accounts', () => {
    expect(parseSubject('Group:system:authenticated')).toEqual({
      kind: 'Group',
      name: 'system:authenticated',
    });
    expect(parseSubject('User:alice')).toEqual({ kind: 'User', name: 'alice' });
    expect(parseSubject('ServiceAccount:ops/deployer')).toEqual({
      kind: 'ServiceAccount',
      namespace: 'ops',
      name: 'deployer',
    });
  });

  it.each(['alice', 'Team:x', 'Group:', 'ServiceAccount:deployer', 'ServiceAccount:a/b/c'])(
    'refuses %s',
    (raw) => {
      expect(() => parseSubject(raw)).toThrow();
    },
  );
});

describe('loadKcpInitOptions', () => {
  it('defaults to root:kube-bind, with $KUBECONFIG', () => {
    expect(loadKcpInitOptions([], { KUBECONFIG: '/k' })).toMatchObject({
      kubeconfig: '/k',
      parent: 'root',
      workspace: 'kube-bind',
      bindableBy: [],
      timeoutMs: 120_000,
    });
  });

  it('reports every problem at once', () => {
    expect(() =>
      loadKcpInitOptions(['--parent=Root', '--workspace=a:b', '--timeout=0s'], {}),
    ).toThrow(
      /--kubeconfig is required.*invalid --parent "Root".*invalid --workspace "a:b".*invalid --timeout "0s"/,
    );
  });
});
