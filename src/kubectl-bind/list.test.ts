import { describe, expect, it } from 'vitest';
import { collectionRows, formatTable, humanDuration, restamp, templateRows } from './list.ts';

const now = Date.parse('2026-11-21T10:00:00Z');
const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it.each([
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [5 * m + 30 * s, '5m30s'],
    [5 * m, '5m'],
    [42 * m, '42m'],
    [5 * h + 8 * m, '5h8m'],
    [20 * h, '20h'],
    [3 * d + 4 * h, '3d4h'],
    [200 * d, '200d'],
    [2 * 365 * d + 30 * d, '2y30d'],
    [9 * 365 * d, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('tables', () => {
  it('pads columns by three spaces like kubectl', () => {
    expect(
      formatTable([
        ['NAME', 'AGE'],
        ['a-long-name', '5m'],
      ]),
    ).toBe('NAME          AGE\na-long-name   5m\n');
  });

  it('shows templates with resources, claims and age', () => {
    const rows = templateRows(
      [
        {
          metadata: { name: 'cowboys', creationTimestamp: '2026-11-21T09:55:00Z' },
          spec: {
            scope: 'Namespaced',
            resources: [
              { group: 'wildwest.dev', resource: 'cowboys' },
              { group: '', resource: 'configmaps' },
            ],
            permissionClaims: [{ resource: 'secrets' }],
          },
        },
        { metadata: { name: 'bare' }, spec: {} },
      ],
      now,
    );
    expect(rows).toEqual([
      ['NAME', 'SCOPE', 'RESOURCES', 'PERMISSION CLAIMS', 'AGE'],
      ['cowboys', 'Namespaced', 'cowboys.wildwest.dev,configmaps', 'secrets', '5m'],
      ['bare', '<none>', '<none>', '<none>', '<unknown>'],
    ]);
  });

  it('shows collections with their templates', () => {
    expect(
      collectionRows(
        [
          {
            metadata: { name: 'west', creationTimestamp: '2026-11-20T10:00:00Z' },
            spec: { description: 'All\nthe west', templates: [{ name: 'a' }, { name: 'b' }] },
          },
        ],
        now,
      ),
    ).toEqual([
      ['NAME', 'TEMPLATES', 'DESCRIPTION', 'AGE'],
      ['west', 'a,b', 'All the west', '24h'],
    ]);
  });
});

describe('restamp', () => {
  it('stamps the list kind and apiVersion on the list and its items', () => {
    expect(restamp({ items: [{ metadata: { name: 'a' } }] }, 'collections')).toEqual({
      kind: 'CollectionList',
      apiVersion: 'kube-bind.io/v1alpha2',
      metadata: {},
      items: [{ kind: 'Collection', apiVersion: 'kube-bind.io/v1alpha2', metadata: { name: 'a' } }],
    });
    expect(restamp({ metadata: { resourceVersion: '7' }, items: [] }, 'templates')).toMatchObject({
      kind: 'APIServiceExportTemplateList',
      metadata: { resourceVersion: '7' },
    });
  });
});
