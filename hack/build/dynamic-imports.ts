// An esbuild plugin that refuses what would break only in the bundle, and only once a lazy path
// runs: a dynamic `import()` of a CommonJS package that reads its named exports. Node gives such
// an import the names it finds in the package's source; esbuild, which puts the package in a
// chunk of its own, gives only `default` (the package's module.exports). Taking `default` works
// both ways:
//   (await import('yaml')).default.stringify(doc)
//   const { default: pino } = await import('pino');
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PartialMessage, Plugin } from 'esbuild';

/** `import('name')` of a package (not a relative path). */
const packageImport = /\bimport\(\s*(['"])([^'"./][^'"]*)\1\s*\)/g;
/** `(await import('x')).default`: what follows the call. */
const defaultAfter = /^\s*\)\s*\.\s*default\b/;
/** `{ default: x } = await import('x')`: what precedes the call. */
const defaultBefore = /\{\s*default\s*:\s*\w+\s*\}\s*=\s*await\s*$/;
/** A type, `import('x').Name` or `typeof import('x')`: nothing loads at run time. */
const typeAfter = /^\s*\./;
const typeBefore = /\btypeof\s*$/;

/** Whether Node loads `file` as CommonJS: `.cjs`, or `.js` without `"type": "module"` above it. */
async function isCommonJs(file: string): Promise<boolean> {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg !== undefined) return (JSON.parse(pkg) as { type?: string }).type !== 'module';
    if (dirname(dir) === dir) return true;
  }
}

/** The plugin for a build of `srcDir`'s modules; register it before plugins that load them. */
export function dynamicImportsOfCommonJs(srcDir: string): Plugin {
  return {
    name: 'dynamic-imports-of-commonjs',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (!path.startsWith(srcDir)) return undefined;
        const text = await readFile(path, 'utf8');
        const errors: PartialMessage[] = [];
        for (const match of text.matchAll(packageImport)) {
          const [call, , name = ''] = match;
          const before = text.slice(0, match.index);
          const after = text.slice(match.index + call.length);
          if (defaultAfter.test(after) || defaultBefore.test(before)) continue;
          if (typeAfter.test(after) || typeBefore.test(before)) continue;
          const resolved = await build.resolve(name, {
            kind: 'dynamic-import',
            resolveDir: dirname(path),
          });
          if (resolved.errors.length > 0 || !(await isCommonJs(resolved.path))) continue;
          const lines = before.split('\n');
          const line = lines.length;
          const column = lines.at(-1)?.length ?? 0;
          const lineText = text.split('\n')[line - 1] ?? '';
          errors.push({
            text:
              `import('${name}') takes named exports of a CommonJS package: the bundle gives ` +
              `only \`default\`, so take that, e.g. (await import('${name}')).default`,
            location: { file: path, line, column, length: call.length, lineText },
          });
        }
        return errors.length > 0 ? { errors } : undefined;
      });
    },
  };
}
