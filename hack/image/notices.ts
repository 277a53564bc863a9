// Copies the licence files of the third-party packages bundled into dist/ into an image's
// /app/licenses/<name>@<version>/: the MIT, ISC, BSD and Apache licences ask that copies carry the
// notice, and the bundles keep only a few of them (esbuild moves `/*! */` comments only).
//   node hack/image/notices.ts DIST_DIR OUT_DIR
// Which packages are bundled comes from the source maps beside the bundles (their `sources`
// name every file esbuild read, under node_modules/ for a dependency), so a dependency that the
// bundle never imports is not listed. OUT_DIR/packages.txt lists each package with the licence its
// package.json names, also those that ship no licence file (a few of redis's).
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A package's root in a source map's `sources` entry: the last `node_modules/<name>` in it. */
const packageRoot = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//;
/** The files that carry a package's licence and notices. */
const noticeFile = /^(licen[cs]e|copying|notice)(\.|-|$)/i;

function bundledPackages(distDir: string): Set<string> {
  const roots = new Set<string>();
  for (const file of readdirSync(distDir).filter((f) => f.endsWith('.js.map'))) {
    const map = JSON.parse(readFileSync(join(distDir, file), 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const match = packageRoot.exec(source);
      if (match?.[1]) roots.add(resolve(distDir, match[1]));
    }
  }
  if (roots.size === 0) throw new Error(`${distDir}: no source maps naming node_modules/`);
  return roots;
}

function main(): void {
  const [distDir, outDir] = process.argv.slice(2);
  if (!distDir || !outDir) throw new Error('usage: notices.ts DIST_DIR OUT_DIR');
  const lines = new Set<string>();
  for (const root of [...bundledPackages(distDir)].sort()) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const files = readdirSync(root).filter((f) => noticeFile.test(f));
    const id = `${pkg.name}@${pkg.version}`;
    lines.add(`${id} ${pkg.license ?? 'UNKNOWN'}${files.length ? '' : ' (no licence file)'}`);
    if (files.length === 0) continue;
    const dir = join(outDir, id);
    mkdirSync(dir, { recursive: true });
    for (const file of files) copyFileSync(join(root, file), join(dir, file));
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'packages.txt'), [...lines].sort().join('\n') + '\n');
}

main();
