import { describe, expect, it } from 'vitest';
import { claimSummary, resourceSummary, selectorSummary } from './describe.ts';

describe('describe', () => {
  it('summarises resources', () => {
    expect(
      resourceSummary({ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1', 'v2'] }),
    ).toBe('cowboys.wildwest.dev (v1, v2)');
    expect(resourceSummary({ resource: 'configmaps' })).toBe('configmaps');
  });

  it('summarises selectors', () => {
    expect(selectorSummary(undefined)).toEqual(['no selector']);
    expect(selectorSummary({ labelSelector: {} })).toEqual(['labels: any']);
    expect(
      selectorSummary({
        namedResources: [{ name: 'a' }, { name: 'b', namespace: 'ns' }],
        labelSelector: {
          matchLabels: { app: 'cowboy' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['a', 'b'] },
            { key: 'x', operator: 'Exists' },
          ],
        },
        references: [
          { group: 'wildwest.dev', resource: 'cowboys', jsonPath: { name: 'spec.secretRef.name' } },
        ],
      }),
    ).toEqual([
      'named: a, ns/b',
      'labels: app=cowboy, tier In (a, b), x Exists',
      'referenced from cowboys.wildwest.dev (name at spec.secretRef.name)',
    ]);
  });

  it('summarises a claim', () => {
    expect(
      claimSummary({
        resource: 'secrets',
        selector: { labelSelector: { matchLabels: { a: 'b' } } },
      }),
    ).toBe('secrets: labels: a=b');
  });
});
