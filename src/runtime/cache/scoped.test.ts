// The cluster view's filtering and key translation, over an informer fed from memory (what a
// wildcard watch returns is modelled by objects carrying the kcp.io/cluster annotation).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import { ConfigMaps } from '../../kube/resources.ts';
import { FakeClock } from '../clock.ts';
import type { InformerFactory } from './factory.ts';
import type { Informer } from './informer.ts';
import { SharedInformer } from './informer.ts';
import { clusterAnnotation, clusterAwareKey } from './keys.ts';
import { memorySource } from './memory-source.testing.ts';
import { ScopedInformerFactory } from './scoped.ts';
import { namespaceIndex, byNamespace } from './store.ts';

const cm = (cluster: string, ns: string, name: string, rv = '1'): KubeObject => ({
  metadata: {
    name,
    namespace: ns,
    resourceVersion: rv,
    annotations: { [clusterAnnotation]: cluster },
  },
});

function wildcardOver(informer: SharedInformer): InformerFactory {
  return {
    informerFor: () => informer as unknown as Informer<never>,
    start: () => informer.start(),
    waitForSync: (signal) => informer.waitForSync(signal),
    stop: () => informer.stop(),
  };
}

describe('ScopedInformerFactory', () => {
  it('shows each cluster only its objects, keyed without the cluster', async () => {
    const mem = memorySource([cm('a', 'ns', 'x'), cm('b', 'ns', 'x'), cm('a', 'other', 'y')]);
    const shared = new SharedInformer({
      resource: 'configmaps',
      source: mem.source,
      clock: new FakeClock(),
      log: pino({ level: 'silent' }),
      keyFunc: clusterAwareKey,
      indexers: { [namespaceIndex]: byNamespace },
    });
    const wildcard = wildcardOver(shared);
    const inA = new ScopedInformerFactory(wildcard, 'a').informerFor(ConfigMaps);
    const inB = new ScopedInformerFactory(wildcard, 'b').informerFor(ConfigMaps);
    const events: string[] = [];
    inA.addEventHandler({ add: (o) => events.push(`a add ${o.metadata?.name}`) });
    inB.addEventHandler({
      add: (o) => events.push(`b add ${o.metadata?.name}`),
      delete: (o) => events.push(`b delete ${o.metadata?.name}`),
    });
    wildcard.start();
    await inA.waitForSync();

    expect(inA.lister.keys().sort()).toEqual(['ns/x', 'other/y']);
    expect(inB.lister.keys()).toEqual(['ns/x']);
    expect(inA.lister.get('ns/x')?.metadata?.annotations?.[clusterAnnotation]).toBe('a');
    expect(inB.lister.get('other/y')).toBeUndefined();
    expect(inA.lister.byIndex(namespaceIndex, 'ns')).toHaveLength(1);

    mem.push({ type: 'ADDED', object: cm('b', 'ns', 'z', '2') });
    mem.push({ type: 'DELETED', object: cm('b', 'ns', 'x', '3') });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events.sort()).toEqual(['a add x', 'a add y', 'b add x', 'b add z', 'b delete x']);
    expect(inB.lister.size).toBe(1);
    expect(inA.lister.size).toBe(2);
    await shared.stop();
  });

  it('turns a namespace scope into a filter: kcp lists across clusters only across namespaces', async () => {
    const mem = memorySource([cm('a', 'ns', 'x'), cm('a', 'other', 'y'), cm('b', 'ns', 'z')]);
    const shared = new SharedInformer({
      resource: 'configmaps',
      source: mem.source,
      clock: new FakeClock(),
      log: pino({ level: 'silent' }),
      keyFunc: clusterAwareKey,
      indexers: { [namespaceIndex]: byNamespace },
    });
    const asked: unknown[] = [];
    const wildcard: InformerFactory = {
      ...wildcardOver(shared),
      informerFor: (_type, scope) => {
        asked.push(scope);
        return shared as unknown as Informer<never>;
      },
    };
    const inNs = new ScopedInformerFactory(wildcard, 'a').informerFor(ConfigMaps, {
      namespace: 'ns',
      labelSelector: 'app=x',
    });
    // The shared informer is asked for without the namespace, selectors kept.
    expect(asked).toEqual([{ labelSelector: 'app=x' }]);
    const events: string[] = [];
    inNs.addEventHandler({
      add: (o) => events.push(`${o.metadata?.namespace}/${o.metadata?.name}`),
    });
    wildcard.start();
    await inNs.waitForSync();
    expect(inNs.lister.keys()).toEqual(['ns/x']);
    expect(inNs.lister.get('other/y')).toBeUndefined();
    mem.push({ type: 'ADDED', object: cm('a', 'other', 'w', '2') });
    mem.push({ type: 'ADDED', object: cm('a', 'ns', 'v', '3') });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events.sort()).toEqual(['ns/v', 'ns/x']);
    await shared.stop();
  });
});
