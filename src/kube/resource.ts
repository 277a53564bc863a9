// Typed access to one resource (group/version/resource) through a KubeClient: the dynamic client.
// Objects stay plain JSON (timestamps are strings), so list and watch see the same shapes.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeClient, PatchType, Query, WatchEvent } from './client.ts';
import { PatchType as Patch } from './client.ts';

/** Any Kubernetes object (compatible with the `kubernetes-types` interfaces). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** Where a resource lives. `T` types the objects; it is not checked at run time. */
export interface ResourceType<T extends KubeObject = KubeObject> {
  group: string;
  version: string;
  /** Plural resource name, e.g. `configmaps`. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Phantom field carrying `T`; never set. */
  readonly __object?: T;
}

export function resourceType<T extends KubeObject>(
  def: Omit<ResourceType<T>, '__object'>,
): ResourceType<T> {
  return def;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  /** The delete fails with Conflict unless the live object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  signal?: AbortSignal;
}

/** The page size of listAll; large enough to be cheap, small enough to bound one response. */
export const defaultPageSize = 500;

export class ResourceClient<T extends KubeObject = KubeObject> {
  readonly client: KubeClient;
  readonly type: ResourceType<T>;
  /** Undefined for cluster-scoped resources and for all-namespace access. */
  readonly namespace: string | undefined;

  constructor(client: KubeClient, type: ResourceType<T>, namespace?: string) {
    if (namespace !== undefined && !type.namespaced) {
      throw new Error(`${type.resource} is cluster-scoped; it has no namespace`);
    }
    this.client = client;
    this.type = type;
    this.namespace = namespace;
  }

  /** The same resource in namespace `ns`. */
  inNamespace(ns: string): ResourceClient<T> {
    return new ResourceClient(this.client, this.type, ns);
  }

  collectionPath(): string {
    const { group, version, resource } = this.type;
    const root = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const ns =
      this.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(this.namespace)}`;
    return `${root}${ns}/${resource}`;
  }

  objectPath(name: string, subresource?: string): string {
    if (this.type.namespaced && this.namespace === undefined) {
      throw new Error(`${this.type.resource} "${name}" is namespaced: use inNamespace() first`);
    }
    const sub = subresource ? `/${subresource}` : '';
    return `${this.collectionPath()}/${encodeURIComponent(name)}${sub}`;
  }

  get(name: string, signal?: AbortSignal): Promise<T> {
    return this.client.get<T>(this.objectPath(name), undefined, signal);
  }

  /** One page; pass `limit` and the previous page's `continue` to page by hand. */
  list(opts: ListOptions = {}): Promise<KubeList<T>> {
    const { signal, ...query } = opts;
    return this.client.get<KubeList<T>>(this.collectionPath(), query, signal);
  }

  /**
   * Every object, fetched in pages of `pageSize`. The resourceVersion is the first page's: a
   * continued list is a snapshot at that version, so a watch can resume from it.
   */
  async listAll(
    opts: Omit<ListOptions, 'limit' | 'continue'> = {},
    pageSize = defaultPageSize,
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const page = await this.list({
        ...opts,
        limit: pageSize,
        ...(token !== undefined && { continue: token }),
      });
      if (token === undefined) resourceVersion = page.metadata?.resourceVersion ?? '';
      for (const item of page.items) items.push(item);
      token = page.metadata?.continue || undefined;
    } while (token !== undefined);
    return { items, resourceVersion };
  }

  watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const { signal, ...query } = opts;
    return this.client.watch<T>(this.collectionPath(), query, signal);
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = this.#withNamespaceOf(obj).collectionPath();
    return this.client.request<T>('POST', path, this.#write(this.#typed(obj), opts));
  }

  /** Replaces the object; its metadata.resourceVersion makes this a compare-and-swap. */
  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = this.#withNamespaceOf(obj).objectPath(nameOf(obj));
    return this.client.request<T>('PUT', path, this.#write(this.#typed(obj), opts));
  }

  /** Replaces the status subresource only. */
  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = this.#withNamespaceOf(obj).objectPath(nameOf(obj), 'status');
    return this.client.request<T>('PUT', path, this.#write(this.#typed(obj), opts));
  }

  patch(name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const path = this.objectPath(name, opts.subresource);
    const request = this.#write(patch, opts);
    const query = { ...request.query, ...(opts.force !== undefined && { force: opts.force }) };
    return this.client.request<T>('PATCH', path, { ...request, query, contentType: type });
  }

  /** Server-side apply of `obj` (which must carry apiVersion, kind and name) as `fieldManager`. */
  apply(obj: T, opts: PatchOptions & { fieldManager: string }): Promise<T> {
    return this.#withNamespaceOf(obj).patch(nameOf(obj), Patch.apply, this.#typed(obj), opts);
  }

  /** `obj` with apiVersion and kind filled in: custom resources are rejected without them. */
  #typed(obj: T): T {
    return { apiVersion: apiVersionOf(this.type), kind: this.type.kind, ...obj };
  }

  delete(name: string, opts: DeleteOptions = {}): Promise<unknown> {
    const { signal, ...rest } = opts;
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...rest };
    return this.client.request('DELETE', this.objectPath(name), {
      body,
      ...(signal && { signal }),
    });
  }

  #withNamespaceOf(obj: KubeObject): ResourceClient<T> {
    const ns = obj.metadata?.namespace;
    if (!this.type.namespaced || ns === undefined || ns === this.namespace) return this;
    if (this.namespace !== undefined) {
      throw new Error(`object namespace "${ns}" differs from client namespace "${this.namespace}"`);
    }
    return this.inNamespace(ns);
  }

  #write(body: unknown, opts: WriteOptions): { body: unknown; query: Query; signal?: AbortSignal } {
    const query: Record<string, string> = {};
    if (opts.fieldManager !== undefined) query['fieldManager'] = opts.fieldManager;
    if (opts.dryRun) query['dryRun'] = 'All';
    return { body, query, ...(opts.signal && { signal: opts.signal }) };
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return name;
}
