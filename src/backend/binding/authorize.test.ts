import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors.ts';
import { reviewedIdentity } from './authorize.ts';

describe('reviewedIdentity', () => {
  it('leaves out system: groups from the IdP and keeps the ones the backend adds', () => {
    expect(
      reviewedIdentity({
        subject: 'alice',
        groups: ['dev', 'system:masters', 'system:authenticated', 'ops'],
        trustedGroups: ['system:authenticated'],
      }),
    ).toEqual({ user: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
    expect(reviewedIdentity({ subject: 'bob', groups: ['system:nodes'] })).toEqual({
      user: 'bob',
      groups: [],
    });
    // Only the exact prefix: "systems:" or "System:" are ordinary names to Kubernetes.
    expect(reviewedIdentity({ subject: 'c', groups: ['systems:x', 'System:y'] }).groups).toEqual([
      'systems:x',
      'System:y',
    ]);
  });

  it('refuses a subject Kubernetes reserves for itself', () => {
    for (const subject of ['system:admin', 'system:serviceaccount:kube-system:default']) {
      const err = (() => {
        try {
          return reviewedIdentity({ subject, groups: [] });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BackendError);
      expect((err as BackendError).code).toBe('Forbidden');
    }
  });
});
