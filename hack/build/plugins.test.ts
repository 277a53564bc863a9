import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../build.ts';

const repo = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kbt-build-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let builds = 0;

/** Bundles `files` (a src/ of their own, entry `src/main.ts`) as hack/build.ts bundles src/. */
async function bundleOf(files: Record<string, string>): Promise<string> {
  const root = join(dir, `case-${++builds}`);
  const src = join(root, 'src');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const outdir = join(root, 'out');
  await build({
    ...bundleOptions({ main: join(src, 'main.ts') }, src, outdir),
    nodePaths: [join(repo, 'node_modules')],
    logLevel: 'silent',
  });
  return join(outdir, 'main.js');
}

describe('import.meta in the bundle (import-meta.ts)', () => {
  it("gives each module its source file's URL, from any output directory", async () => {
    const main = await bundleOf({
      'main.ts': "export { here } from './deep/er/module.ts';",
      'deep/er/module.ts': 'export const here = import.meta.url;',
    });
    const { here } = (await import(pathToFileURL(main).href)) as { here: string };
    expect(here).toBe(pathToFileURL(join(dirname(main), '../src/deep/er/module.ts')).href);
  });

  it('refuses import.meta.dirname and the like, which would be the output file’s', async () => {
    await expect(bundleOf({ 'main.ts': 'export const d = import.meta.dirname;' })).rejects.toThrow(
      'import.meta.dirname is not supported in a bundle',
    );
  });
});

describe('dynamic imports of CommonJS packages (dynamic-imports.ts)', () => {
  it('refuses named exports from a dynamic import of a CommonJS package', async () => {
    await expect(
      bundleOf({ 'main.ts': "export const y = (await import('yaml')).stringify(1);" }),
    ).rejects.toThrow("import('yaml') takes named exports of a CommonJS package");
    await expect(
      bundleOf({ 'main.ts': "const { stringify } = await import('yaml');\nstringify(1);" }),
    ).rejects.toThrow('main.ts:1:');
  });

  it('lets default, ES module packages and types through, and they run', async () => {
    const main = await bundleOf({
      'main.ts': [
        "type Doc = import('yaml').Document;",
        'export const d: Doc | undefined = undefined;',
        "export const yaml = (await import('yaml')).default.stringify({ a: 1 });",
        "const { default: pino } = await import('pino');",
        'export const level = pino({ level: "warn" }).level;',
        "export const jose = typeof (await import('jose')).decodeJwt;",
      ].join('\n'),
    });
    expect(await import(pathToFileURL(main).href)).toMatchObject({
      yaml: 'a: 1\n',
      level: 'warn',
      jose: 'function',
    });
  });
});
