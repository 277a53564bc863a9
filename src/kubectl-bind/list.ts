// `kubectl bind templates` and `kubectl bind collections` (docs/protocol.md §6.2, §3.12, §3.13):
// fetch the provider's list with the stored login and print it as kubectl does — a table
// (NAME … AGE), or with `-o json|yaml` the list itself, stamped with its list kind and apiVersion.
import { listCatalog, type CatalogKind } from './client.ts';
import { readConfig, selectServer, tokenProblem } from './config.ts';
import { CommandError } from './errors.ts';
import type { CommandIO } from './login.ts';
import type { ListOptions } from './options.ts';
import { byCodeUnits } from '../apis/order.ts';
import { kubeBindAPIVersion } from '../apis/kubebind/types.gen.ts';

const kinds: Record<CatalogKind, { kind: string; listKind: string }> = {
  templates: { kind: 'APIServiceExportTemplate', listKind: 'APIServiceExportTemplateList' },
  collections: { kind: 'Collection', listKind: 'CollectionList' },
};

/** Items as they arrive: every field may be missing. */
interface Meta {
  metadata?: { name?: string; creationTimestamp?: string };
}
interface TemplateItem extends Meta {
  spec?: {
    scope?: string;
    resources?: { group?: string; resource?: string }[];
    permissionClaims?: { group?: string; resource?: string }[];
  };
}
interface CollectionItem extends Meta {
  spec?: { description?: string; templates?: { name?: string }[] };
}

interface ListDocument {
  metadata?: Record<string, unknown>;
  items: Record<string, unknown>[];
}

export async function listCommand(
  what: CatalogKind,
  opts: ListOptions,
  io: Pick<CommandIO, 'stdout' | 'stderr' | 'now'>,
): Promise<void> {
  const config = await readConfig(opts.configFile);
  const { key, entry } = selectServer(config, opts.server);
  const problem = tokenProblem(key, entry, io.now());
  if (problem !== undefined) throw new CommandError(problem);

  const list = asList(await listCatalog(entry, what), what, entry.url);
  if (opts.output !== 'table') {
    const doc = restamp(list, what);
    // yaml loads only for the YAML output: the table and JSON need none of it. Its `default`:
    // yaml is CommonJS for Node, and a bundle's dynamic import of it has no named exports.
    io.stdout(
      opts.output === 'json'
        ? `${JSON.stringify(doc, null, 4)}\n`
        : (await import('yaml')).default.stringify(doc),
    );
    return;
  }
  if (list.items.length === 0) {
    io.stderr(`No ${what} found at ${key}.\n`);
    return;
  }
  const items = [...list.items].sort((a, b) => byCodeUnits(name(a), name(b)));
  const rows =
    what === 'templates' ? templateRows(items, io.now()) : collectionRows(items, io.now());
  io.stdout(formatTable(rows));
}

function asList(doc: unknown, what: CatalogKind, url: string): ListDocument {
  const list = doc as Partial<ListDocument> | null;
  if (typeof list !== 'object' || list === null || !Array.isArray(list.items)) {
    throw new CommandError(`listing ${what} at ${url}: the answer is not a list`);
  }
  return { ...(list.metadata && { metadata: list.metadata }), items: list.items };
}

/** The list as kubectl would print it: list kind and apiVersion, and on every item too. */
export function restamp(list: ListDocument, what: CatalogKind): Record<string, unknown> {
  const { kind, listKind } = kinds[what];
  return {
    kind: listKind,
    apiVersion: kubeBindAPIVersion,
    metadata: list.metadata ?? {},
    items: list.items.map((item) => ({ ...item, kind, apiVersion: kubeBindAPIVersion })),
  };
}

function name(item: Meta): string {
  return typeof item.metadata?.name === 'string' ? item.metadata.name : '';
}

export function templateRows(items: readonly TemplateItem[], nowMs: number): string[][] {
  return [
    ['NAME', 'SCOPE', 'RESOURCES', 'PERMISSION CLAIMS', 'AGE'],
    ...items.map((t) => [
      name(t),
      t.spec?.scope ?? '<none>',
      list((t.spec?.resources ?? []).map((r) => groupResource(r.group, r.resource))),
      list((t.spec?.permissionClaims ?? []).map((c) => groupResource(c.group, c.resource))),
      age(t.metadata?.creationTimestamp, nowMs),
    ]),
  ];
}

export function collectionRows(items: readonly CollectionItem[], nowMs: number): string[][] {
  return [
    ['NAME', 'TEMPLATES', 'DESCRIPTION', 'AGE'],
    ...items.map((c) => [
      name(c),
      list((c.spec?.templates ?? []).map((t) => t.name ?? '')),
      truncate(c.spec?.description ?? '', 60) || '<none>',
      age(c.metadata?.creationTimestamp, nowMs),
    ]),
  ];
}

function groupResource(group: string | undefined, resource: string | undefined): string {
  return group ? `${resource ?? ''}.${group}` : (resource ?? '');
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(',') : '<none>';
}

function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function age(timestamp: string | undefined, nowMs: number): string {
  const created = timestamp === undefined ? NaN : Date.parse(timestamp);
  return Number.isNaN(created) ? '<unknown>' : humanDuration(nowMs - created);
}

/** Columns padded to their widest cell plus three spaces, as kubectl's tables. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - cell.length + 3),
        )
        .join(''),
    )
    .map((line) => `${line.trimEnd()}\n`)
    .join('');
}

/** kubectl's AGE: `45s`, `5m30s`, `42m`, `5h8m`, `20h`, `3d4h`, `200d`, `2y30d`, `9y`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withPart(`${minutes}m`, seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withPart(`${hours}h`, minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return withPart(`${Math.floor(hours / 24)}d`, hours % 24, 'h');
  const days = Math.floor(hours / 24);
  if (days < 365 * 2) return `${days}d`;
  if (days < 365 * 8) return withPart(`${Math.floor(days / 365)}y`, days % 365, 'd');
  return `${Math.floor(days / 365)}y`;
}

function withPart(head: string, rest: number, unit: string): string {
  return rest === 0 ? head : `${head}${rest}${unit}`;
}
