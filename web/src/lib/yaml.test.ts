import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml, toYamlDocuments } from './yaml.ts';

describe('toYaml', () => {
  it('writes block style', () => {
    expect(
      toYaml({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'kubeconfig-x', labels: {} },
        list: [{ a: 1, b: [true, null] }, 'two', []],
      }),
    ).toBe(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: kubeconfig-x',
        '  labels: {}',
        'list:',
        '  - a: 1',
        '    b:',
        '      - true',
        '      - null',
        '  - two',
        '  - []',
        '',
      ].join('\n'),
    );
  });

  it('quotes strings that would read back as something else', () => {
    const tricky = [
      'true',
      'No',
      'null',
      '~',
      '1',
      '1e3',
      '0x1f',
      '',
      ' x',
      'a: b',
      '#c',
      '- d',
      'e\nf',
      'Grüße ✓',
      '{.x?}',
      '*a',
      '!t',
      '"q"',
      "'",
    ];
    const value = Object.fromEntries(tricky.map((s, i) => [s, [s, i]]));
    expect(parse(toYaml(value))).toEqual(value);
  });

  it('round-trips any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const value: unknown = JSON.parse(JSON.stringify(raw));
        expect(parse(toYaml(value))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('skips undefined properties', () => {
    expect(toYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
    expect(toYaml({ a: undefined })).toBe('{}\n');
  });

  it('separates documents with ---', () => {
    const text = toYamlDocuments([{ a: 1 }, { b: [2] }]);
    expect(text).toBe('a: 1\n---\nb:\n  - 2\n');
    expect(parseAllDocuments(text).map((d) => d.toJS() as unknown)).toEqual([{ a: 1 }, { b: [2] }]);
  });
});
