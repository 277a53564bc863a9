// One informer per (resource, namespace, selectors) per cluster, however many controllers ask:
// controllers call informerFor() while being set up, and the factory starts whatever was asked.
import type { Logger } from 'pino';
import type { KubeClient } from '../../kube/client.ts';
import { ResourceClient } from '../../kube/resource.ts';
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import type { Clock } from '../clock.ts';
import type { Informer } from './informer.ts';
import { SharedInformer } from './informer.ts';
import type { KeyFunc } from './keys.ts';
import type { ReflectorMetrics } from './reflector.ts';
import { byNamespace, namespaceIndex } from './store.ts';
import type { TransformFunc } from './transform.ts';

export interface InformerScope {
  /** Watch one namespace only (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Hands out shared informers for one cluster. */
export interface InformerFactory {
  informerFor<T extends KubeObject>(type: ResourceType<T>, scope?: InformerScope): Informer<T>;
  /** Starts every informer handed out so far, and any handed out later. */
  start(): void;
  /** Resolves when every informer handed out so far has synced. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Stops every informer and waits until their watches and timers are gone. */
  stop(): Promise<void>;
}

export interface SharedInformerFactoryOptions {
  client: KubeClient;
  clock: Clock;
  log: Logger;
  keyFunc?: KeyFunc;
  resyncMs?: number;
  metrics?: ReflectorMetrics;
  minWatchTimeoutSeconds?: number;
  /**
   * What each informer's cache keeps of its objects, by resource; undefined for an informer
   * means the default (all but metadata.managedFields).
   */
  transformFor?: (type: ResourceType) => TransformFunc | undefined;
}

export class SharedInformerFactory implements InformerFactory {
  readonly #o: SharedInformerFactoryOptions;
  readonly #informers = new Map<string, SharedInformer>();
  #started = false;

  constructor(opts: SharedInformerFactoryOptions) {
    this.#o = opts;
  }

  informerFor<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const id = informerId(type, scope);
    let informer = this.#informers.get(id);
    if (!informer) {
      informer = this.#create(type, scope);
      this.#informers.set(id, informer);
      if (this.#started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Informers created so far (one per distinct resource and scope). */
  get size(): number {
    return this.#informers.size;
  }

  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }

  #create<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope): SharedInformer {
    const base = new ResourceClient(this.#o.client, type);
    const source = scope.namespace === undefined ? base : base.inNamespace(scope.namespace);
    const { log, clock, keyFunc, resyncMs, metrics, minWatchTimeoutSeconds } = this.#o;
    const transform = this.#o.transformFor?.(type);
    return new SharedInformer<KubeObject>({
      resource: type.group ? `${type.resource}.${type.group}` : type.resource,
      source: source,
      clock,
      log: log.child({ resource: type.resource, namespace: scope.namespace }),
      indexers: type.namespaced ? { [namespaceIndex]: byNamespace } : {},
      ...(keyFunc && { keyFunc }),
      ...(resyncMs !== undefined && { resyncMs }),
      ...(metrics && { metrics }),
      ...(minWatchTimeoutSeconds !== undefined && { minWatchTimeoutSeconds }),
      ...(transform && { transform }),
      ...(scope.labelSelector !== undefined && { labelSelector: scope.labelSelector }),
      ...(scope.fieldSelector !== undefined && { fieldSelector: scope.fieldSelector }),
    });
  }
}

function informerId(type: ResourceType, scope: InformerScope): string {
  const gvr = `${type.group}/${type.version}/${type.resource}`;
  return [gvr, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join(
    '\u0000',
  );
}
