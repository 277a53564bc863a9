// Formatting and drift detection for generated files. Every output goes through prettier so that
// the committed file is what `npm run format` would leave.
import { format, resolveConfig } from 'prettier';
import { join } from 'node:path';

export async function formatGenerated(
  files: Map<string, string>,
  root: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [path, content] of files) {
    const options = (await resolveConfig(join(root, path))) ?? {};
    out.set(path, await format(content, { ...options, filepath: join(root, path) }));
  }
  return out;
}

/** Paths whose content on disk differs from the generated content (or is missing). */
export function driftedFiles(
  files: Map<string, string>,
  read: (path: string) => string | null,
): string[] {
  return [...files].filter(([path, content]) => read(path) !== content).map(([path]) => path);
}
