// Which consumer objects a permission claim selects (docs/controllers.md §1.3 Selector), pure.
// The three selectors are alternatives (an object selected by any is claimed); an empty selector
// claims nothing. `references` name objects from fields of other objects, with gjson-style paths
// (`spec.secretRefs.#.name`: `#` walks every element of an array).
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Selector } from '../../apis/kubebind/types.gen.ts';
import type { KubeObject } from '../../kube/resource.ts';

/** A referenced object: its namespace defaults to the referencing object's. */
export interface ReferencedKey {
  namespace: string;
  name: string;
}

/** Whether `labels` match a Kubernetes label selector (matchLabels and matchExpressions). */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator we do not know selects nothing, never everything
    }
  }
  return true;
}

/** Whether a label selector is one that selects something (an empty one would select all). */
function nonEmptySelector(s: LabelSelector | undefined): s is LabelSelector {
  return (
    !!s && (Object.keys(s.matchLabels ?? {}).length > 0 || (s.matchExpressions ?? []).length > 0)
  );
}

/**
 * The strings at a gjson-style path: dot-separated keys, `#` for every array element. A path
 * that does not resolve gives nothing; only string (and number) leaves count.
 */
export function pathValues(obj: unknown, path: string): string[] {
  let current: unknown[] = [obj];
  for (const part of path.split('.').filter(Boolean)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (part === '#') {
        if (Array.isArray(value)) next.push(...(value as unknown[]));
      } else if (Array.isArray(value) && /^\d+$/.test(part)) {
        next.push(value[Number(part)]);
      } else if (typeof value === 'object' && value !== null && part in value) {
        next.push((value as Record<string, unknown>)[part]);
      }
    }
    current = next;
  }
  return current.flatMap((v) =>
    typeof v === 'string' ? [v] : typeof v === 'number' ? [String(v)] : [],
  );
}

/**
 * The objects a referencing object names through `jsonPath`: names from `name`, paired by
 * position with namespaces from `namespace` when given (else the referencing object's namespace).
 */
export function referencedKeys(
  referencing: KubeObject,
  jsonPath: { name?: string; namespace?: string },
): ReferencedKey[] {
  if (!jsonPath.name) return [];
  const names = pathValues(referencing, jsonPath.name);
  const namespaces = jsonPath.namespace ? pathValues(referencing, jsonPath.namespace) : [];
  const own = referencing.metadata?.namespace ?? '';
  return names
    .map((name, i) => ({ namespace: namespaces[i] ?? namespaces[0] ?? own, name }))
    .filter((k) => k.name !== '');
}

/**
 * The claim's reference index: files each referencing object under the
 * `namespace/name` keys it references, so "is this key referenced?" is one lookup in the
 * informer's index, updated per referencing-object event, instead of a walk over every
 * referencing object on every change. The index name tells paths apart when one resource is
 * referenced through several.
 */
export function referenceIndex(jsonPath: { name?: string; namespace?: string }): {
  name: string;
  fn: (obj: KubeObject) => string[];
} {
  return {
    name: `claim-references:${jsonPath.name ?? ''}:${jsonPath.namespace ?? ''}`,
    fn: (obj) =>
      referencedKeys(obj, jsonPath)
        .filter((k) => k.namespace !== '')
        .map((k) => `${k.namespace}/${k.name}`),
  };
}

/** Whether a `namespace/name` key is referenced; answered by the reference index. */
export type IsReferenced = (key: string) => boolean;

/**
 * Whether `obj` is claimed by `selector`. `namespace` is where the object counts as living (a
 * provider object is judged in the consumer namespace its own maps to); `referenced` answers
 * for `references`.
 */
export function isClaimed(
  obj: KubeObject,
  selector: Selector,
  referenced: IsReferenced = () => false,
  namespace: string = obj.metadata?.namespace ?? '',
): boolean {
  const name = obj.metadata?.name ?? '';
  if (!name) return false;
  if (
    nonEmptySelector(selector.labelSelector) &&
    labelSelectorMatches(selector.labelSelector, obj.metadata?.labels ?? {})
  ) {
    return true;
  }
  const named = (selector.namedResources ?? []).some(
    (n) => n.name === name && (!n.namespace || n.namespace === namespace),
  );
  return named || referenced(`${namespace}/${name}`);
}
