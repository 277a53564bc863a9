import { describe, expect, it } from 'vitest';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import {
  clusterNamespaceAnnotation,
  consumerNamespaceAnnotation,
  consumerUIDAnnotation,
  providerNamespaceAnnotation,
  providerUIDAnnotation,
} from '../apis/kubebind/wire.ts';
import {
  isCopyOfProviderObject,
  isOwnProviderObject,
  provenanceOfConsumer,
  provenanceOfProvider,
  readConsumerProvenance,
  readProviderProvenance,
  withConsumerProvenance,
  withoutProvenance,
  withProviderProvenance,
} from './provenance.ts';

const contract = 'kube-bind-abc';

const consumer: ConfigMap = {
  metadata: { name: 'w', namespace: 'default', uid: 'c-uid', annotations: { keep: 'me' } },
  data: { a: '1' },
};

describe('annotation keys', () => {
  it('are the spec keys', () => {
    expect([
      clusterNamespaceAnnotation,
      consumerNamespaceAnnotation,
      consumerUIDAnnotation,
      providerNamespaceAnnotation,
      providerUIDAnnotation,
    ]).toEqual([
      'kube-bind.io/cluster-namespace',
      'kube-bind.io/consumer-namespace',
      'kube-bind.io/consumer-uid',
      'kube-bind.io/provider-namespace',
      'kube-bind.io/provider-uid',
    ]);
  });
});

describe('provider provenance', () => {
  it('stamps a provider object without touching other annotations or the input', () => {
    const provider: ConfigMap = {
      metadata: { name: 'w', namespace: `${contract}-default`, annotations: { keep: 'me' } },
      data: { a: '1' },
    };
    const out = withProviderProvenance(provider, provenanceOfConsumer(contract, consumer));
    expect(out.metadata?.annotations).toEqual({
      keep: 'me',
      'kube-bind.io/cluster-namespace': contract,
      'kube-bind.io/consumer-namespace': 'default',
      'kube-bind.io/consumer-uid': 'c-uid',
    });
    expect(out.data).toEqual({ a: '1' });
    expect(out.metadata?.name).toBe('w');
    expect(provider.metadata?.annotations).toEqual({ keep: 'me' });
    expect(readProviderProvenance(out)).toEqual({
      clusterNamespace: contract,
      consumerNamespace: 'default',
      consumerUID: 'c-uid',
    });
  });

  it('omits (and removes a stale) consumer namespace for cluster-scoped consumer objects', () => {
    const stale = {
      metadata: { name: 'w', annotations: { [consumerNamespaceAnnotation]: 'old' } },
    };
    const p = provenanceOfConsumer(contract, { metadata: { name: 'w', uid: 'u' } });
    expect(p).toEqual({ clusterNamespace: contract, consumerUID: 'u' });
    expect(withProviderProvenance(stale, p).metadata.annotations).toEqual({
      [clusterNamespaceAnnotation]: contract,
      [consumerUIDAnnotation]: 'u',
    });
  });

  it('works on objects without metadata', () => {
    expect(withProviderProvenance({}, { clusterNamespace: contract, consumerUID: 'u' })).toEqual({
      metadata: {
        annotations: { [clusterNamespaceAnnotation]: contract, [consumerUIDAnnotation]: 'u' },
      },
    });
  });

  it('decides whether a provider object is ours', () => {
    const ours = withProviderProvenance(
      { metadata: { name: 'w' } },
      provenanceOfConsumer(contract, consumer),
    );
    expect(isOwnProviderObject(ours, contract)).toBe(true);
    expect(isOwnProviderObject(ours, contract, consumer)).toBe(true);
    expect(isOwnProviderObject(ours, 'kube-bind-other')).toBe(false);
    expect(isOwnProviderObject(ours, contract, { metadata: { uid: 'recreated' } })).toBe(false);
    expect(isOwnProviderObject(ours, contract, { metadata: {} })).toBe(false);
    expect(isOwnProviderObject({ metadata: { name: 'w' } }, contract)).toBe(false);
    const noUID = { metadata: { annotations: { [clusterNamespaceAnnotation]: contract } } };
    expect(readProviderProvenance(noUID)).toBeUndefined();
    expect(isOwnProviderObject(noUID, contract)).toBe(false);
  });
});

describe('consumer provenance', () => {
  const provider = { metadata: { name: 'w', namespace: `${contract}-default`, uid: 'p-uid' } };

  it('stamps a consumer copy without touching other annotations', () => {
    const out = withConsumerProvenance(consumer, provenanceOfProvider(provider));
    expect(out.metadata?.annotations).toEqual({
      keep: 'me',
      'kube-bind.io/provider-namespace': `${contract}-default`,
      'kube-bind.io/provider-uid': 'p-uid',
    });
    expect(consumer.metadata?.annotations).toEqual({ keep: 'me' });
    expect(readConsumerProvenance(out)).toEqual({
      providerNamespace: `${contract}-default`,
      providerUID: 'p-uid',
    });
    expect(isCopyOfProviderObject(out, provider)).toBe(true);
    expect(isCopyOfProviderObject(out, { metadata: { uid: 'other' } })).toBe(false);
    expect(isCopyOfProviderObject(consumer, provider)).toBe(false);
  });

  it('omits the namespace of cluster-scoped provider objects', () => {
    const p = provenanceOfProvider({ metadata: { name: 'w', uid: 'p' } });
    expect(p).toEqual({ providerUID: 'p' });
    const copy: ConfigMap = { metadata: {} };
    expect(withConsumerProvenance(copy, p).metadata?.annotations).toEqual({
      [providerUIDAnnotation]: 'p',
    });
  });
});

describe('withoutProvenance', () => {
  it('drops exactly the five provenance keys', () => {
    expect(
      withoutProvenance({
        keep: 'me',
        'kube-bind.io/other': 'x',
        [clusterNamespaceAnnotation]: 'a',
        [consumerNamespaceAnnotation]: 'b',
        [consumerUIDAnnotation]: 'c',
        [providerNamespaceAnnotation]: 'd',
        [providerUIDAnnotation]: 'e',
      }),
    ).toEqual({ keep: 'me', 'kube-bind.io/other': 'x' });
    expect(withoutProvenance(undefined)).toEqual({});
  });
});
