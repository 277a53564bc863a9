import type { Namespace } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  checkTarget,
  isSystemNamespace,
  serviceNamespaceName,
  servesAPIServiceNamespace,
} from '../service-namespaces.ts';
import { checkQuota } from './decide.ts';

const ns = (name: string, serving?: string): Namespace => ({
  metadata: {
    name,
    ...(serving && { annotations: { 'kube-bind.io/api-service-namespace': serving } }),
  },
});

describe('serviceNamespaceName', () => {
  it('prefixes with the contract namespace unless isolation is None', () => {
    expect(serviceNamespaceName('c', 'wild', 'Prefixed')).toBe('c-wild');
    expect(serviceNamespaceName('c', 'wild', 'Namespaced')).toBe('c-wild');
    expect(serviceNamespaceName('c', 'wild', 'None')).toBe('wild');
  });
});

describe('isSystemNamespace', () => {
  it('is default and every kube-* namespace', () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-bind']) {
      expect(isSystemNamespace(name, 'c'), name).toBe(true);
    }
    for (const name of ['wild', 'defaults', 'kubeflow', 'c-kube-system']) {
      expect(isSystemNamespace(name, 'c'), name).toBe(false);
    }
  });

  it('leaves a contract prefix like kube-bind- its own prefixed namespaces, but not the system ones', () => {
    expect(isSystemNamespace('kube-bind-abc-wild', 'kube-bind-abc')).toBe(false);
    expect(isSystemNamespace('kube-bind-xyz-wild', 'kube-bind-abc')).toBe(true);
    // A contract `kube` could otherwise name its namespace `system` into kube-system.
    expect(isSystemNamespace('kube-system', 'kube')).toBe(true);
  });
});

describe('checkTarget', () => {
  it('accepts a new namespace or the one made for this APIServiceNamespace', () => {
    expect(checkTarget('c-wild', 'c/wild', undefined)).toEqual({ ok: true });
    expect(checkTarget('c-wild', 'c/wild', ns('c-wild', 'c/wild'))).toEqual({ ok: true });
  });

  it('refuses system namespaces, even when they carry our annotation', () => {
    expect(
      checkTarget('kube-system', 'c/kube-system', ns('kube-system', 'c/kube-system')),
    ).toMatchObject({ ok: false, reason: 'SystemNamespace' });
    expect(checkTarget('default', 'c/default', undefined)).toMatchObject({
      reason: 'SystemNamespace',
    });
  });

  it('never adopts a namespace made for anything else', () => {
    expect(checkTarget('wild', 'c/wild', ns('wild'))).toMatchObject({ reason: 'NamespaceTaken' });
    expect(checkTarget('wild', 'c/wild', ns('wild', 'd/wild'))).toMatchObject({
      reason: 'NamespaceTaken',
    });
  });

  it('refuses names that make no namespace, with a bounded message', () => {
    const verdict = checkTarget(`c-${'x'.repeat(10_000)}`, 'c/x', undefined);
    expect(verdict).toMatchObject({ reason: 'InvalidNamespaceName' });
    expect(verdict.ok ? '' : verdict.message.length).toBeLessThan(400);
  });
});

describe('servesAPIServiceNamespace', () => {
  it('holds only for the namespace made for that APIServiceNamespace', () => {
    expect(servesAPIServiceNamespace(ns('c-wild', 'c/wild'), 'c/wild')).toBe(true);
    expect(servesAPIServiceNamespace(ns('c-wild', 'd/wild'), 'c/wild')).toBe(false);
    expect(servesAPIServiceNamespace(ns('c-wild'), 'c/wild')).toBe(false);
    expect(servesAPIServiceNamespace(undefined, 'c/wild')).toBe(false);
    expect(servesAPIServiceNamespace(ns('kube-system', 'c/kube-system'), 'c/kube-system')).toBe(
      false,
    );
  });
});

describe('checkQuota', () => {
  it('allows service namespaces up to the quota, then refuses with the reason', () => {
    expect(checkQuota('c/wild', 0, 2)).toEqual({ ok: true });
    expect(checkQuota('c/wild', 1, 2)).toEqual({ ok: true });
    const refused = checkQuota('c/wild', 2, 2);
    expect(refused).toMatchObject({ ok: false, reason: 'TooManyNamespaces' });
    expect(!refused.ok && refused.message).toContain('consumer c has 2 already');
  });
});
