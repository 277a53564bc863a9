// The committed generated files must equal what the definitions produce today; CI runs this.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftedFiles, formatGenerated } from './drift.ts';
import { generatedFiles } from './outputs.ts';
import { TypeRenderer } from './render-types.ts';
import { named, oneOf } from '../../src/apis/schema/builder.ts';

const root = join(import.meta.dirname, '..', '..');

describe('generated files', () => {
  it('are up to date with src/apis/kubebind/crds (run `npm run codegen` if not)', async () => {
    const files = await formatGenerated(generatedFiles(), root);
    const drifted = driftedFiles(files, (path) => {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return null;
      }
    });
    expect(drifted).toEqual([]);
    // Per kind: deploy/crd, deploy/kcp and the chart's copy; plus the chart's Chart.yaml and policy.
    expect(files.size).toBe(12 * 3 + 3 + 3);
  });

  it('notices a drifted and a missing file', () => {
    const files = new Map([
      ['a', 'one'],
      ['b', 'two'],
      ['c', 'three'],
    ]);
    const disk: Record<string, string> = { a: 'one', b: 'changed' };
    expect(driftedFiles(files, (path) => disk[path] ?? null)).toEqual(['b', 'c']);
  });
});

describe('named enums', () => {
  it('render once as a union type with its values, whatever field uses them', () => {
    const renderer = new TypeRenderer();
    const phase = named('Phase', oneOf(['Pending', 'Done']), 'Where it stands.');
    expect(renderer.typeOf(phase)).toBe('Phase');
    expect(renderer.typeOf({ ...phase, description: 'another field' })).toBe('Phase');
    expect(renderer.declarations()).toEqual([
      "/** Where it stands. */\nexport type Phase = 'Pending' | 'Done';\n\n" +
        "/** Every value of `Phase`, in the CRD's order. */\n" +
        "export const phaseValues: readonly Phase[] = ['Pending', 'Done'];",
    ]);
  });

  it('refuse two different value sets under one name', () => {
    const renderer = new TypeRenderer();
    renderer.typeOf(named('Phase', oneOf(['Pending', 'Done'])));
    expect(() => renderer.typeOf(named('Phase', oneOf(['Pending'])))).toThrow(/two different/);
  });
});
