// Bundles each program (bin/*) into dist/ with esbuild, so that a start loads a few compiled
// JavaScript files instead of hundreds of TypeScript modules stripped at run time. bin/* runs the
// bundle while dist/.stamp is newer than every file under src/ and package-lock.json, else the
// sources (hack/build/launch.sh).
//   node hack/build.ts               build into dist/ (npm run build)
//   node hack/build.ts --if-changed  only when the inputs' hash differs from dist/.stamp (setup;
//                                    prints nothing then)
//   node hack/build.ts --outdir DIR  into DIR instead (its own stamp)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { dynamicImportsOfCommonJs } from './build/dynamic-imports.ts';
import { importMetaFromSource } from './build/import-meta.ts';

/** Each program's bundle (`dist/<name>.js`, the name bin/* runs) and its source entry point. */
export const programs = {
  backend: 'src/backend/cmd/main.ts',
  konnector: 'src/konnector/cmd/main.ts',
  'kubectl-bind': 'src/kubectl-bind/cmd/main.ts',
  'kcp-init': 'src/providers/kcp/init/main.ts',
} as const;

/** The file holding the input hash; its mtime is when the build read its inputs. */
export const stampFile = '.stamp';

const root = join(import.meta.dirname, '..');
const srcDir = join(root, 'src');

/** What the bundles are made from: src/, the lock file, the compiler settings and hack/build*. */
function inputFiles(): string[] {
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
  const build = readdirSync(join(root, 'hack/build')).map((f) => `hack/build/${f}`);
  files.push('package-lock.json', 'tsconfig.json', 'hack/build.ts', ...build);
  return files.sort();
}

/** A hash over the inputs' paths and contents. */
export function inputHash(): string {
  const hash = createHash('sha256');
  for (const file of inputFiles()) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

function readStamp(outdir: string): string | undefined {
  try {
    return readFileSync(join(outdir, stampFile), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Writes the stamp dated `started`, when the inputs were read: a source saved during the build
 * is then newer than the stamp, and bin/* runs the sources until the next build.
 */
function writeStamp(outdir: string, hash: string, started: Date): void {
  const path = join(outdir, stampFile);
  writeFileSync(path, `${hash}\n`);
  utimesSync(path, started, started);
}

/**
 * How a bundle of `srcDir`'s entry points into `outdir` is made (the plugin tests use it with
 * sources of their own).
 */
export function bundleOptions(
  entryPoints: Record<string, string>,
  srcDir: string,
  outdir: string,
): BuildOptions {
  return {
    entryPoints,
    outdir,
    // Every output file lands in `outdir` itself: import-meta.ts rewrites `import.meta.url`
    // relative to that directory, whichever chunk a module ends up in.
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    bundle: true,
    // The apps stay dynamic imports (separate chunks): `--help` and bad flags load only the
    // flag tables, as from source.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // Whitespace and syntax only: identifiers keep their names, so stack traces and
    // `err.name`-style logs read as from source; minifying identifiers saves little start time.
    minifyWhitespace: true,
    minifySyntax: true,
    // A separate file, read only under `node --enable-source-maps`.
    sourcemap: 'linked',
    // CommonJS dependencies (fastify, pino, …) `require()` Node's built-ins; an ES
    // module has no `require`, so each output file gets one.
    banner: {
      js: [
        "import { createRequire as __kbtCreateRequire } from 'node:module';",
        'const require = __kbtCreateRequire(import.meta.url);',
      ].join(' '),
    },
    // The checks first: the first plugin whose onLoad returns contents is the last to run.
    plugins: [dynamicImportsOfCommonJs(srcDir), importMetaFromSource(srcDir, outdir)],
    logLevel: 'warning',
  };
}

/** Bundles every program into `outdir`; returns esbuild's account of the output files. */
export async function bundle(outdir: string): Promise<Metafile> {
  const options = bundleOptions(programs, srcDir, outdir);
  const result = await build({ ...options, absWorkingDir: root, metafile: true });
  return result.metafile;
}

/**
 * Removes the bundle files an earlier build left in `outdir` (chunks of old hashes) and this one
 * did not write; nothing else (`--outdir` may name a directory with other files).
 */
function removeStale(outdir: string, metafile: Metafile): void {
  const written = new Set(Object.keys(metafile.outputs).map((f) => resolve(root, f)));
  for (const name of readdirSync(outdir)) {
    const path = join(outdir, name);
    if (/\.js(\.map)?$/.test(name) && !written.has(path)) rmSync(path, { force: true });
  }
}

function summary(metafile: Metafile): string {
  const outputs = Object.entries(metafile.outputs).filter(([f]) => f.endsWith('.js'));
  const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return `${outputs.length} files, ${mb(total)} of JavaScript`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'if-changed': { type: 'boolean' }, outdir: { type: 'string' } },
  });
  const outdir = resolve(values.outdir ?? join(root, 'dist'));
  const started = new Date();
  const hash = inputHash();
  if (values['if-changed'] && readStamp(outdir) === hash) {
    // Same inputs, but a checkout may have touched them: date the stamp again so bin/* trusts it.
    writeStamp(outdir, hash, started);
    return;
  }
  mkdirSync(outdir, { recursive: true });
  // No stamp while the files change: bin/* runs the sources meanwhile.
  rmSync(join(outdir, stampFile), { force: true });
  let metafile: Metafile;
  try {
    metafile = await bundle(outdir);
  } catch (err) {
    // esbuild has printed each error where it is; its stack would say nothing more.
    if (err instanceof Error && 'errors' in err) process.exit(1);
    throw err;
  }
  removeStale(outdir, metafile);
  writeStamp(outdir, hash, started);
  const took = ((Date.now() - started.getTime()) / 1000).toFixed(1);
  process.stdout.write(
    `built ${relative(root, outdir) || '.'}/: ${summary(metafile)} in ${took} s\n`,
  );
}

if (import.meta.main) await main();
