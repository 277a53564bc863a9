// The informer's cache: objects by key plus secondary indices. Writes come only from the
// informer; readers (controllers) get the live objects and must treat them as read-only.
import type { KubeObject } from '../../kube/resource.ts';
import { clusterOf } from './keys.ts';
import type { KeyFunc } from './keys.ts';

/** Maps an object to the index values it is filed under (e.g. its namespace). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export const namespaceIndex = 'namespace';
export const clusterIndex = 'cluster';

export const byNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];
export const byCluster: IndexFunc<KubeObject> = (obj) => [clusterOf(obj)];

/** Read access to a cache. */
export interface Lister<T> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  byIndex(index: string, value: string): T[];
  readonly size: number;
}

export class Store<T extends KubeObject> implements Lister<T> {
  readonly #keyOf: KeyFunc;
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  readonly #onIndexError: ((index: string, key: string, err: unknown) => void) | undefined;

  /**
   * `onIndexError` hears of an index function that threw: the object is then left out of that
   * index, so one malformed object (say, written through an old API version) cannot break the
   * cache for every other object.
   */
  constructor(
    keyOf: KeyFunc,
    indexers: Readonly<Record<string, IndexFunc<T>>> = {},
    onIndexError?: (index: string, key: string, err: unknown) => void,
  ) {
    this.#keyOf = keyOf;
    this.#onIndexError = onIndexError;
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  keyOf(obj: T): string {
    return this.#keyOf(obj);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Adds an index, filing the objects already cached. Re-adding a name is an error. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.#indexers.has(name)) throw new Error(`index "${name}" already exists`);
    this.#indexers.set(name, fn);
    this.#indices.set(name, new Map());
    for (const [key, obj] of this.#items) this.#file(name, fn, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.#indexers.has(name);
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.#indices.get(index);
    if (!idx) throw new Error(`no index "${index}"`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.#items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = this.#keyOf(obj);
    const old = this.#items.get(key);
    if (old) this.#unfileAll(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) this.#file(name, fn, key, obj);
    return old;
  }

  /** Removes by key; returns the removed object. */
  remove(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unfileAll(key, old);
    this.#items.delete(key);
    return old;
  }

  #file(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const idx = this.#indices.get(name);
    if (!idx) return;
    for (const value of this.#values(name, fn, key, obj)) {
      let keys = idx.get(value);
      if (!keys) idx.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  #unfileAll(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indices.get(name);
      if (!idx) continue;
      for (const value of this.#values(name, fn, key, obj, false)) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }

  #values(name: string, fn: IndexFunc<T>, key: string, obj: T, report = true): readonly string[] {
    try {
      return fn(obj);
    } catch (err) {
      if (report) this.#onIndexError?.(name, key, err);
      return [];
    }
  }
}
