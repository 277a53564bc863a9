// Writes the files generated from the kube-bind.io definitions (CRD YAML, kcp APIResourceSchemas
// and APIExport, TypeScript types), or with --verify reports any that drifted and exits 1.
//   node hack/codegen.ts            regenerate
//   node hack/codegen.ts --verify   check only (CI runs the same check as a unit test)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { driftedFiles, formatGenerated } from './codegen/drift.ts';
import { generatedFiles } from './codegen/outputs.ts';

const root = join(import.meta.dirname, '..');
const verify = process.argv.includes('--verify');
const files = await formatGenerated(generatedFiles(), root);

if (verify) {
  const drifted = driftedFiles(files, (path) => readOrNull(join(root, path)));
  for (const path of drifted) process.stderr.write(`out of date: ${path}\n`);
  if (drifted.length > 0) {
    process.stderr.write('run `npm run codegen` and commit the result\n');
    process.exit(1);
  }
  process.stdout.write(`${files.size} generated files are up to date\n`);
} else {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  process.stdout.write(`wrote ${files.size} files\n`);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
