// An esbuild plugin that keeps `import.meta.url` meaning the source file's URL inside the bundle.
// src/ reads files relative to its modules (version.ts finds package.json and build-info.json at
// `../../`, the front door web/dist at `../../../web/dist`); in a bundle every module shares its
// output file's URL, where those relative paths point elsewhere. Each `import.meta.url` in src/
// becomes the source file's URL computed from the output file's, so the paths hold wherever the
// checkout (or an image's /app) lies, as long as dist/ stays beside src/'s place.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Plugin } from 'esbuild';

const url = /\bimport\.meta\.url\b/g;
const otherMeta = /\bimport\.meta\.(?!url\b)\w+/;

/** The plugin for a build of `srcDir`'s modules whose output files all lie directly in `outdir`. */
export function importMetaFromSource(srcDir: string, outdir: string): Plugin {
  return {
    name: 'import-meta-from-source',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (!path.startsWith(srcDir)) return undefined;
        const text = await readFile(path, 'utf8');
        if (!text.includes('import.meta')) return undefined;
        // dirname, filename, main, … would be the output file's: refuse rather than mislead.
        const other = otherMeta.exec(text);
        if (other) {
          return {
            errors: [{ text: `${other[0]} is not supported in a bundle; use import.meta.url` }],
          };
        }
        const fromOutput = relative(outdir, path).split('\\').join('/');
        const contents = text.replace(
          url,
          `new URL(${JSON.stringify(fromOutput)}, import.meta.url).href`,
        );
        return { contents, loader: 'ts' };
      });
    },
  };
}
