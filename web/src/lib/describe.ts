// Short human-readable text for template details.

import type { ExportResource, PermissionClaim, Selector } from './types.ts';

/** `resource.group` (or just `resource` for the core group). */
export function groupResource(item: { group?: string; resource: string }): string {
  return item.group !== undefined && item.group !== ''
    ? `${item.resource}.${item.group}`
    : item.resource;
}

export function resourceSummary(r: ExportResource): string {
  const versions = r.versions ?? [];
  return versions.length === 0 ? groupResource(r) : `${groupResource(r)} (${versions.join(', ')})`;
}

/** One line per part of a permission-claim selector. */
export function selectorSummary(selector: Selector | undefined): string[] {
  const parts: string[] = [];
  const named = selector?.namedResources ?? [];
  if (named.length > 0) {
    const names = named.map((n) =>
      n.namespace !== undefined && n.namespace !== '' ? `${n.namespace}/${n.name}` : n.name,
    );
    parts.push(`named: ${names.join(', ')}`);
  }
  const labels = selector?.labelSelector;
  if (labels !== undefined) {
    const terms = [
      ...Object.entries(labels.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(labels.matchExpressions ?? []).map((e) =>
        e.values !== undefined && e.values.length > 0
          ? `${e.key} ${e.operator} (${e.values.join(', ')})`
          : `${e.key} ${e.operator}`,
      ),
    ];
    parts.push(terms.length === 0 ? 'labels: any' : `labels: ${terms.join(', ')}`);
  }
  for (const ref of selector?.references ?? []) {
    const paths = [
      ref.jsonPath.name !== undefined ? `name at ${ref.jsonPath.name}` : undefined,
      ref.jsonPath.namespace !== undefined ? `namespace at ${ref.jsonPath.namespace}` : undefined,
    ].filter((p): p is string => p !== undefined);
    parts.push(
      `referenced from ${groupResource(ref)}${paths.length > 0 ? ` (${paths.join(', ')})` : ''}`,
    );
  }
  if (parts.length === 0) parts.push('no selector');
  return parts;
}

export function claimSummary(claim: PermissionClaim): string {
  return `${groupResource(claim)}: ${selectorSummary(claim.selector).join('; ')}`;
}
