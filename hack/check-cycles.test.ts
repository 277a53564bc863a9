import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycles, importGraph, importSpecifiers } from './check-cycles.ts';

describe('importSpecifiers', () => {
  it('reads imports, type imports and re-exports, not dynamic imports or strings', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "import 'side-effect';",
      "const e = await import('./e.ts');",
      "const f = './f.ts';",
    ].join('\n');
    expect(importSpecifiers('x.ts', text)).toEqual([
      './a.ts',
      '../b.ts',
      './c.ts',
      './d.ts',
      'side-effect',
    ]);
  });
});

describe('findCycles', () => {
  it('finds nothing in a graph without cycles', () => {
    const graph = new Map([
      ['a', ['b', 'c']],
      ['b', ['c']],
      ['c', []],
    ]);
    expect(findCycles(graph)).toEqual([]);
  });

  it('reports one path per group of modules that import each other', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'b']],
      ['d', ['a', 'e']],
      ['e', ['d']],
      ['f', ['f']],
    ]);
    expect(findCycles(graph)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['d', 'e', 'd'],
      ['f', 'f'],
    ]);
  });
});

describe('importGraph', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbt-cycles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a cycle through a type-only import between files on disk', () => {
    const files: Record<string, string> = {
      'spec.ts': "import { settings } from './syncer.ts';\nexport const spec = settings;\n",
      'syncer.ts': "import type { View } from './view';\nexport const settings: View = {};\n",
      'view/index.ts': "import '../spec.ts';\nimport 'yaml';\nexport type View = object;\n",
      'main.ts': "import { spec } from './spec.js';\nexport const main = spec;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const cycles = findCycles(importGraph([dir]));
    expect(cycles).toEqual([
      [
        join(dir, 'spec.ts'),
        join(dir, 'syncer.ts'),
        join(dir, 'view/index.ts'),
        join(dir, 'spec.ts'),
      ],
    ]);
  });
});
