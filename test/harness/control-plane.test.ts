import { describe, expect, it } from 'vitest';
import { wantedComponents } from './control-plane.ts';

describe('wantedComponents', () => {
  it('starts everything by default', () => {
    expect([...wantedComponents({})]).toEqual(['kube', 'kcp', 'dex']);
  });
  it('accepts a subset with spaces', () => {
    expect([...wantedComponents({ KBT_TEST_COMPONENTS: 'kube, dex' })]).toEqual(['kube', 'dex']);
  });
  it('rejects unknown components with the known ones in the message', () => {
    expect(() => wantedComponents({ KBT_TEST_COMPONENTS: 'kube,etcd' })).toThrow(
      'KBT_TEST_COMPONENTS: unknown component(s) etcd; known: kube, kcp, dex',
    );
  });
});
