import { describe, expect, it } from 'vitest';
import { contractNamespaceName, identityHash } from './identity-hash.ts';

describe('identityHash', () => {
  // The vectors of docs/controllers.md §3.1.
  it.each([
    ['test-id-123', '37p3oxx6sh4fd'],
    ['test-id-456', '2wikse9fhn0m5'],
    ['0ac6800e-bc4f-4c70-814b-45b44e04aa02', '1iax4hdl6mmvc'],
    ['identity-134', '0f9fqaaoh3rp'],
  ])('%s → %s', (identity, hash) => {
    expect(identityHash(identity)).toBe(hash);
  });

  it('prefixes without a separator', () => {
    expect(contractNamespaceName('cluster-', 'test-id-123')).toBe('cluster-37p3oxx6sh4fd');
    expect(contractNamespaceName('kube-bind-', '0ac6800e-bc4f-4c70-814b-45b44e04aa02')).toBe(
      'kube-bind-1iax4hdl6mmvc',
    );
  });
});
