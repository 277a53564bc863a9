// Views of wildcard informers for one logical cluster. Behind a kcp APIExport virtual workspace
// one watch per resource covers every cluster that binds the export (`/clusters/*/…`); each
// engaged cluster's controllers must see only their cluster's objects, keyed as if the cluster
// were alone. A ScopedInformerFactory gives them exactly that over a shared wildcard factory.
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import type { InformerFactory, InformerScope } from './factory.ts';
import type { EventHandler, HandlerRegistration, Informer } from './informer.ts';
import { clusterOf, objectKey } from './keys.ts';
import type { IndexFunc, Lister } from './store.ts';
import { byCluster, clusterIndex } from './store.ts';

/**
 * The wildcard factory must key objects with clusterAwareKey and index them by cluster; the
 * provider owns it (starts it once, stops it when the provider stops).
 */
export class ScopedInformerFactory implements InformerFactory {
  readonly #wildcard: InformerFactory;
  readonly #cluster: string;

  constructor(wildcard: InformerFactory, cluster: string) {
    this.#wildcard = wildcard;
    this.#cluster = cluster;
  }

  /**
   * kcp serves cross-cluster lists and watches only across all namespaces, so a namespace scope
   * becomes a filter on the shared cluster-wide informer.
   */
  informerFor<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const { namespace, ...selectors } = scope;
    const shared = this.#wildcard.informerFor(type, selectors);
    shared.addIndexer(clusterIndex, byCluster);
    return new ScopedInformer(shared, this.#cluster, namespace);
  }

  /** The wildcard informers are started by their owner; starting a view starts them too. */
  start(): void {
    this.#wildcard.start();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#wildcard.waitForSync(signal);
  }

  /** A view owns nothing: the wildcard informers keep serving the other clusters. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export class ScopedInformer<T extends KubeObject> implements Informer<T> {
  readonly resource: string;
  readonly lister: Lister<T>;
  readonly #shared: Informer<T>;
  readonly #cluster: string;
  readonly #namespace: string | undefined;

  constructor(shared: Informer<T>, cluster: string, namespace?: string) {
    this.resource = shared.resource;
    this.#shared = shared;
    this.#cluster = cluster;
    this.#namespace = namespace;
    this.lister = new ScopedLister(shared.lister, cluster, namespace);
  }

  hasSynced(): boolean {
    return this.#shared.hasSynced();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#shared.waitForSync(signal);
  }

  addEventHandler(handler: EventHandler<T>): HandlerRegistration {
    const mine = (obj: T): boolean =>
      clusterOf(obj) === this.#cluster &&
      (this.#namespace === undefined || obj.metadata?.namespace === this.#namespace);
    return this.#shared.addEventHandler({
      add: (obj) => mine(obj) && handler.add?.(obj),
      update: (old, obj) => mine(obj) && handler.update?.(old, obj),
      delete: (obj, info) => mine(obj) && handler.delete?.(obj, info),
    });
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.#shared.addIndexer(name, fn);
  }
}

class ScopedLister<T extends KubeObject> implements Lister<T> {
  readonly #shared: Lister<T>;
  readonly #cluster: string;
  readonly #namespace: string | undefined;

  constructor(shared: Lister<T>, cluster: string, namespace?: string) {
    this.#shared = shared;
    this.#cluster = cluster;
    this.#namespace = namespace;
  }

  #inScope(obj: T | undefined): obj is T {
    return !!obj && (this.#namespace === undefined || obj.metadata?.namespace === this.#namespace);
  }

  get(key: string): T | undefined {
    const obj = this.#shared.get(`${this.#cluster}|${key}`);
    return this.#inScope(obj) ? obj : undefined;
  }

  list(): T[] {
    return this.#shared.byIndex(clusterIndex, this.#cluster).filter((o) => this.#inScope(o));
  }

  keys(): string[] {
    return this.list().map(objectKey);
  }

  /** Objects of this cluster under `value` of `index`. */
  byIndex(index: string, value: string): T[] {
    return this.#shared
      .byIndex(index, value)
      .filter((o) => clusterOf(o) === this.#cluster && this.#inScope(o));
  }

  get size(): number {
    return this.list().length;
  }
}
