// Fails when the static imports under src/ form a cycle, printing each cycle's path. Part of
// `npm run lint`; eslint's import rules see one file at a time and cannot see a cycle.
//   node hack/check-cycles.ts [folder ...]        (default: src)
// Type-only imports count: they are erased at run time, but two modules that need each other's
// types still cannot be read, tested or moved apart, which is what the layering is for.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Each module (an absolute path) and the modules it imports, in source order. */
export type ImportGraph = Map<string, string[]>;

/** The .ts files under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The module specifiers of a file's static `import … from` and `export … from` declarations. */
export function importSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  return source.statements.flatMap((statement) => {
    const isImportOrReExport =
      ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement);
    const specifier = isImportOrReExport ? statement.moduleSpecifier : undefined;
    return specifier && ts.isStringLiteral(specifier) ? [specifier.text] : [];
  });
}

/**
 * The file a relative specifier names, or undefined for a package or a file that does not exist.
 * The code imports with explicit `.ts` extensions; `.js` and extensionless forms are accepted too.
 */
function resolveRelative(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find(
    (path) => path.endsWith('.ts') && existsSync(path) && statSync(path).isFile(),
  );
}

/** The import graph of every .ts file under `dirs`, edges limited to files inside them. */
export function importGraph(dirs: string[]): ImportGraph {
  const files = dirs.flatMap((dir) => tsFiles(resolve(dir)));
  const inside = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = importSpecifiers(file, readFileSync(file, 'utf8'))
      .map((specifier) => resolveRelative(file, specifier))
      .filter((target): target is string => target !== undefined && inside.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * One cycle per group of modules that import each other (a strongly connected component), each as
 * a path that starts and ends at the same module. Found by depth-first search: an edge back to a
 * module still on the stack closes a cycle; a component already reported is not reported again.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const inCycle = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();

  const visit = (module: string): void => {
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module) ?? []) {
      if (onStack.has(next)) {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        if (!cycle.some((m) => inCycle.has(m))) cycles.push(cycle);
        for (const m of cycle) inCycle.add(m);
      } else if (!done.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    onStack.delete(module);
    done.add(module);
  };

  for (const module of [...graph.keys()].sort()) if (!done.has(module)) visit(module);
  return cycles;
}

function main(dirs: string[]): number {
  const graph = importGraph(dirs);
  const cycles = findCycles(graph);
  for (const cycle of cycles) {
    console.error(`import cycle: ${cycle.map((m) => relative(process.cwd(), m)).join(' → ')}`);
  }
  if (cycles.length > 0) return 1;
  console.log(`no import cycles in ${dirs.join(', ')} (${graph.size} files)`);
  return 0;
}

if (import.meta.main)
  process.exitCode = main(process.argv.length > 2 ? process.argv.slice(2) : ['src']);
