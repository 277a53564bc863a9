import { describe, expect, it } from 'vitest';
import { claimableResources } from '../../../apis/kubebind/wire.ts';
import { providerOwnedClaimsPolicy } from './admission-policy.ts';

describe('providerOwnedClaimsPolicy', () => {
  it('matches writes to exactly the claimable resources', () => {
    const rules = providerOwnedClaimsPolicy().policy.spec?.matchConstraints?.resourceRules ?? [];
    expect(rules).toHaveLength(1);
    const rule = rules[0] as {
      apiGroups?: string[];
      apiVersions?: string[];
      resources?: string[];
      operations?: string[];
    };
    expect(rule.apiGroups).toEqual(['']);
    expect(rule.apiVersions).toEqual(['v1']);
    expect(rule.resources).toEqual(['configmaps', 'secrets', 'serviceaccounts']);
    expect(rule.resources).toEqual(claimableResources.map((r) => r.resource));
    expect(rule.operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
  });
});
