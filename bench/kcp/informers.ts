import type { Logger } from 'pino';
import { ServedClusters } from '../../src/backend/binding/clusters.ts';
import { KubeClient } from '../../src/kube/client.ts';
import type { KubeObject, ResourceType } from '../../src/kube/resource.ts';
import {
  SharedInformerFactory,
  type InformerFactory,
  type InformerScope,
} from '../../src/runtime/cache/factory.ts';
import type { Informer } from '../../src/runtime/cache/informer.ts';
import { ScopedInformerFactory } from '../../src/runtime/cache/scoped.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { Cluster } from '../../src/runtime/cluster.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';

/** One wildcard informer: what it lists and watches on the virtual workspace. */
export interface InformerQuery {
  type: ResourceType;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Records which wildcard informers are asked for; hands out real, never started, ones. */
class RecordingFactory implements InformerFactory {
  readonly queries = new Map<string, InformerQuery>();
  readonly #inner: InformerFactory;
  constructor(inner: InformerFactory) {
    this.#inner = inner;
  }
  informerFor<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const selectors = [scope.labelSelector, scope.fieldSelector].filter(Boolean).join(',');
    const group = type.group === '' ? 'core' : type.group;
    this.queries.set(`${type.resource}.${group}${selectors ? `[${selectors}]` : ''}`, {
      type,
      ...(scope.labelSelector && { labelSelector: scope.labelSelector }),
      ...(scope.fieldSelector && { fieldSelector: scope.fieldSelector }),
    });
    return this.#inner.informerFor(type, scope);
  }
  start(): void {}
  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The wildcard informers the controllers and the front door ask for on one cluster: every engaged
 * cluster asks for the same ones, so with one wildcard watch each the count is constant in N.
 */
export async function expectedInformers(
  specs: readonly ControllerSpec[],
  log: Logger,
): Promise<{ controllers: Map<string, InformerQuery>; frontDoor: Map<string, InformerQuery> }> {
  const client = new KubeClient({ server: 'https://127.0.0.1:1' });
  try {
    const inner = () => new SharedInformerFactory({ client, clock: realClock, log });
    const probe = (wildcard: InformerFactory): Cluster => ({
      name: 'probe',
      client,
      informers: new ScopedInformerFactory(wildcard, 'probe'),
    });
    const controllers = new RecordingFactory(inner());
    const cluster = probe(controllers);
    for (const spec of specs) spec.watches(cluster);
    const frontDoor = new RecordingFactory(inner());
    await new ServedClusters({ naming: (id) => id, settled: () => true, log }).engage(
      probe(frontDoor),
    );
    return { controllers: controllers.queries, frontDoor: frontDoor.queries };
  } finally {
    await client.close();
  }
}

/** The provider's own watches besides its informers': the endpoint slice and the APIBindings. */
export const providerWatches = 2;
