import { describe, expect, it } from 'vitest';
import { controllerRefTo } from './owner.ts';

describe('controllerRefTo', () => {
  const owner = { metadata: { name: 'cowboys', uid: 'u-1' } };

  it('names the owner as controller, blocking its deletion only when asked', () => {
    expect(controllerRefTo('APIServiceExport', owner, { blockOwnerDeletion: true })).toEqual({
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'APIServiceExport',
      name: 'cowboys',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(controllerRefTo('APIServiceBinding', owner)).toEqual({
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'APIServiceBinding',
      name: 'cowboys',
      uid: 'u-1',
      controller: true,
    });
  });
});
