// Every section (the sign, then a number) a comment or document cites must exist as a heading of the cited document under
// docs/, and every "differences.md item N" as one of its numbered items: the citations are how a
// reader gets from code to the contract, so a renumbered or missing section is a broken link.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const docsDir = join(root, 'docs');
const scanned = ['src', 'test', 'bench', 'hack', 'web/src', 'docs', 'deploy', 'bin'];
const skippedDirs = new Set(['node_modules', 'dist', 'test-artifacts']);
const textFile = /\.(ts|js|mjs|vue|md|sh|yaml)$/;

/**
 * Test names cite without a document and may not be renamed (tests change only for imports): the
 * document their bare citations mean.
 */
const bareInTestNames: Record<string, string> = {
  'src/backend/resources/consumer.test.ts': 'controllers',
  'web/src/lib/base64.test.ts': 'protocol',
};

/** An external citation (an RFC): not ours to check. */
const external = Symbol('external');

/** How far before the section sign the name of the cited document may be (it can end the previous line). */
const lookBehind = 160;

interface Citation {
  file: string;
  line: number;
  doc: string;
  section: string;
}

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skippedDirs.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (textFile.test(entry.name)) yield path;
  }
}

function scannedFiles(): string[] {
  return scanned
    .map((dir) => join(root, dir))
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    .flatMap((dir) => [...filesUnder(dir)])
    .concat(join(root, 'eslint.config.js'), join(root, 'README.md'));
}

/**
 * The document a citation at `offset` names: the last `<name>.md` before it, or an RFC. Inside
 * docs/ only the same line counts, so a link in the previous sentence does not capture it.
 */
function citedDoc(
  text: string,
  offset: number,
  file: string,
): string | typeof external | undefined {
  const inDocs = file.startsWith(docsDir);
  const start = inDocs ? text.lastIndexOf('\n', offset) + 1 : Math.max(0, offset - lookBehind);
  const before = text.slice(start, offset);
  const names = [...before.matchAll(/([\w./-]+)\.md\b|\bRFC \d+/g)];
  const last = names.at(-1);
  if (last) return last[1] === undefined ? external : basename(last[1]);
  // Inside a document, a bare citation means a section of that document.
  return inDocs ? basename(file, '.md') : bareInTestNames[relative(root, file)];
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Every section sign in `text` with its number; a range (3.5–3.7) cites both ends. */
function citationsIn(file: string, text: string): { found: Citation[]; unnamed: string[] } {
  const found: Citation[] = [];
  const unnamed: string[] = [];
  for (const match of text.matchAll(/\u00a7\s*(\d+(?:\.\d+)*)(?:\s*[–-]\s*(\d+(?:\.\d+)*))?/g)) {
    const where = `${relative(root, file)}:${lineOf(text, match.index)}`;
    const doc = citedDoc(text, match.index, file);
    if (doc === external) continue;
    if (doc === undefined) {
      unnamed.push(where);
      continue;
    }
    for (const section of [match[1], match[2]]) {
      if (section !== undefined) {
        found.push({ file: where, line: lineOf(text, match.index), doc, section });
      }
    }
  }
  return { found, unnamed };
}

const headingCache = new Map<string, Set<string> | undefined>();

/** The numbers of a document's headings (`## 3.9 …`, `### 1. …`), or undefined if it is missing. */
function headingsOf(doc: string): Set<string> | undefined {
  if (!headingCache.has(doc)) {
    const path = join(docsDir, `${doc}.md`);
    const text = statSync(path, { throwIfNoEntry: false }) ? readFileSync(path, 'utf8') : undefined;
    const numbers = text
      ? [...text.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)].map((m) => m[1] ?? '')
      : undefined;
    headingCache.set(doc, numbers && new Set(numbers));
  }
  return headingCache.get(doc);
}

describe('citations of the contract', () => {
  const files = scannedFiles();
  const all = files.map((file) => citationsIn(file, readFileSync(file, 'utf8')));
  const citations = all.flatMap((c) => c.found);

  it('are many (the scan found the code)', () => {
    expect(citations.length).toBeGreaterThan(100);
  });

  it('each name the document they cite', () => {
    expect(all.flatMap((c) => c.unnamed)).toEqual([]);
  });

  it('each point at a section that exists under docs/', () => {
    const broken = citations
      .filter((c) => !headingsOf(c.doc)?.has(c.section))
      .map((c) => `${c.file}: ${c.doc}.md §${c.section}`);
    expect(broken).toEqual([]);
  });

  it('each point at a numbered item of differences.md that exists', () => {
    const items = headingsOf('differences');
    const broken = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/differences\.md\)? items? (\d+)/g)]
        .filter((m) => !items?.has(m[1] ?? ''))
        .map((m) => `${relative(root, file)}: item ${m[1] ?? ''}`),
    );
    expect(broken).toEqual([]);
  });
});
