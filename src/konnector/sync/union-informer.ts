// Several informers of one resource seen as one: a permission claim that names its objects is
// watched one name at a time (`fieldSelector=metadata.name=<name>`), which is what RBAC
// `resourceNames` allows for list and watch, instead of listing every object of the resource in
// the consumer cluster, so the konnector's grant covers those names only (docs/security.md, "The
// konnector's per-binding grants"). The syncer reads the union like any informer.
import type { KubeObject } from '../../kube/resource.ts';
import type { EventHandler, HandlerRegistration, Informer } from '../../runtime/cache/informer.ts';
import { objectKey } from '../../runtime/cache/keys.ts';
import type { IndexFunc, Lister } from '../../runtime/cache/store.ts';

/** One informer over `parts`; an object in several parts (overlapping scopes) counts once. */
export function unionInformer<T extends KubeObject>(
  resource: string,
  parts: readonly Informer<T>[],
): Informer<T> {
  const unique = (objects: T[]): T[] => [
    ...new Map(objects.map((o) => [objectKey(o), o])).values(),
  ];
  const lister: Lister<T> = {
    get: (key) => {
      for (const part of parts) {
        const found = part.lister.get(key);
        if (found) return found;
      }
      return undefined;
    },
    list: () => unique(parts.flatMap((p) => p.lister.list())),
    keys: () => [...new Set(parts.flatMap((p) => p.lister.keys()))],
    byIndex: (index, value) => unique(parts.flatMap((p) => p.lister.byIndex(index, value))),
    get size() {
      return lister.keys().length;
    },
  };
  return {
    resource,
    lister,
    hasSynced: () => parts.every((p) => p.hasSynced()),
    waitForSync: async (signal) => {
      await Promise.all(parts.map((p) => p.waitForSync(signal)));
    },
    addEventHandler(handler: EventHandler<T>): HandlerRegistration {
      const registrations = parts.map((p) => p.addEventHandler(handler));
      return { remove: () => registrations.forEach((r) => r.remove()) };
    },
    addIndexer(name: string, fn: IndexFunc<T>): void {
      for (const part of parts) part.addIndexer(name, fn);
    },
  };
}
