import { describe, expect, it } from 'vitest';
import type { PlacementStrategy } from '../placement.ts';
import {
  clusterNamespaceAnnotation,
  consumerNamespaceAnnotation,
  consumerUIDAnnotation,
  providerNamespaceAnnotation,
  downstreamFinalizer,
  providerUIDAnnotation,
} from '../../apis/kubebind/wire.ts';
import {
  consumerProvenanceUpdate,
  consumerStatusUpdate,
  desiredProviderObject,
  finalizersWith,
  hasFinalizer,
  providerUpdate,
  type ProviderTarget,
  type SyncObject,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';
const contractUID = 'contract-ns-uid';
const providerNamespace = `${contract}-default`;

/** A namespaced consumer object that already went through one sync round. */
const consumer = (): SyncObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: {
    name: 'w',
    namespace: 'default',
    uid: 'c-uid',
    resourceVersion: '7',
    generation: 2,
    finalizers: [downstreamFinalizer],
    ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: 'cm-uid' }],
    labels: { app: 'shop' },
    annotations: {
      note: 'hi',
      // The consumer copy's own provenance must not travel to the provider.
      [providerNamespaceAnnotation]: providerNamespace,
      [providerUIDAnnotation]: 'p-uid',
    },
  },
  spec: { size: 3 },
  status: { phase: 'Ready' },
});

/** A cluster-scoped consumer object without labels. */
const clusterConsumer = (): SyncObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Cluster',
  metadata: { name: 'big', uid: 'cc-uid' },
  spec: { nodes: 5 },
});

const namespacedTarget: ProviderTarget = {
  key: { namespace: providerNamespace, name: 'w' },
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  contractNamespace: contract,
  strategy: 'ServiceNamespaced',
  contractNamespaceUID: contractUID,
};

const clusterTarget = (strategy: PlacementStrategy): ProviderTarget => ({
  key:
    strategy === 'ContractNamespaced'
      ? { namespace: contract, name: 'big' }
      : { name: strategy === 'ClusterPrefixed' ? `${contract}-big` : 'big' },
  apiVersion: 'example.com/v1',
  kind: 'Cluster',
  contractNamespace: contract,
  strategy,
  contractNamespaceUID: contractUID,
});

/** Before the konnector has seen the contract Namespace. */
const withoutUID = (target: ProviderTarget): ProviderTarget => ({
  ...target,
  contractNamespaceUID: undefined,
});

const contractOwner = { apiVersion: 'v1', kind: 'Namespace', name: contract, uid: contractUID };

/** `desired` as the provider API server returns it after creating it. */
const live = (desired: SyncObject): SyncObject => ({
  ...desired,
  metadata: { ...desired.metadata, uid: 'p-uid', resourceVersion: '42', generation: 1 },
  status: { phase: 'Provisioned' },
});

// --- tests ------------------------------------------------------------------------------------

describe('desiredProviderObject', () => {
  it('copies content, labels and non-provenance annotations and stamps consumer provenance', () => {
    expect(desiredProviderObject(consumer(), namespacedTarget)).toStrictEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: {
        name: 'w',
        namespace: providerNamespace,
        labels: { app: 'shop' },
        annotations: {
          note: 'hi',
          [clusterNamespaceAnnotation]: contract,
          [consumerNamespaceAnnotation]: 'default',
          [consumerUIDAnnotation]: 'c-uid',
        },
      },
      // No status, uid, resourceVersion, finalizers or consumer-side owner references.
      spec: { size: 3 },
    });
  });

  it('carries every top-level field but metadata and status, with the target apiVersion and kind', () => {
    const cm: SyncObject = {
      apiVersion: 'v1beta1',
      kind: 'Old',
      metadata: { name: 'cfg', namespace: 'default', uid: 'u' },
      data: { a: '1' },
      binaryData: { b: 'AA==' },
      immutable: true,
    };
    const out = desiredProviderObject(cm, { ...namespacedTarget, apiVersion: 'v1', kind: 'Cm' });
    expect(out.apiVersion).toBe('v1');
    expect(out.kind).toBe('Cm');
    expect(Object.keys(out).sort()).toEqual(
      ['apiVersion', 'binaryData', 'data', 'immutable', 'kind', 'metadata'].sort(),
    );
    expect(out['data']).toEqual({ a: '1' });
    expect(out['binaryData']).toEqual({ b: 'AA==' });
  });

  it('stamps no consumer namespace and omits empty labels for a cluster-scoped consumer', () => {
    const out = desiredProviderObject(
      { ...clusterConsumer(), metadata: { name: 'big', uid: 'cc-uid', labels: {} } },
      clusterTarget('ClusterNone'),
    );
    expect(out.metadata).toStrictEqual({
      name: 'big',
      annotations: { [clusterNamespaceAnnotation]: contract, [consumerUIDAnnotation]: 'cc-uid' },
      ownerReferences: [contractOwner],
    });
  });

  // Cluster-scoped provider objects have no namespace to be collected with, so the contract
  // Namespace owns them; namespaced ones go with their namespace.
  it.each<[PlacementStrategy, boolean]>([
    ['ClusterPrefixed', true],
    ['ClusterNone', true],
    ['ContractNamespaced', false],
  ])('%s: owned by the contract Namespace: %s', (strategy, owned) => {
    const target = clusterTarget(strategy);
    const out = desiredProviderObject(clusterConsumer(), target);
    expect(out.metadata?.name).toBe(target.key.name);
    expect(out.metadata?.namespace).toBe(target.key.namespace);
    expect(out.metadata?.ownerReferences).toStrictEqual(owned ? [contractOwner] : undefined);
  });

  it('ServiceNamespaced: not owned by the contract Namespace', () => {
    expect(desiredProviderObject(consumer(), namespacedTarget).metadata?.ownerReferences).toBe(
      undefined,
    );
  });

  it('has no owner reference while the contract Namespace UID is unknown', () => {
    const out = desiredProviderObject(
      clusterConsumer(),
      withoutUID(clusterTarget('ClusterPrefixed')),
    );
    expect(out.metadata?.name).toBe(`${contract}-big`);
    expect(out.metadata).not.toHaveProperty('ownerReferences');
  });

  it('does not modify the consumer object', () => {
    const c = consumer();
    const before = structuredClone(c);
    desiredProviderObject(c, namespacedTarget);
    expect(c).toStrictEqual(before);
  });
});

describe('providerUpdate', () => {
  const desired = desiredProviderObject(consumer(), namespacedTarget);

  it('is undefined when the provider object is in sync', () => {
    expect(providerUpdate(live(desired), desired)).toBeUndefined();
  });

  it('is undefined when provider-side controllers added labels and annotations', () => {
    const provider = live(desired);
    provider.metadata = {
      ...provider.metadata,
      labels: { ...provider.metadata?.labels, 'provider.io/team': 'a' },
      annotations: { ...provider.metadata?.annotations, 'provider.io/seen': 'yes' },
    };
    expect(providerUpdate(provider, desired)).toBeUndefined();
  });

  it('is undefined when a label was removed on the consumer (labels are only added)', () => {
    const unlabelled = desiredProviderObject(
      { ...consumer(), metadata: { ...consumer().metadata, labels: {} } },
      namespacedTarget,
    );
    expect(providerUpdate(live(desired), unlabelled)).toBeUndefined();
  });

  it('replaces the content and keeps provider metadata, labels, annotations and status', () => {
    const provider = live(desired);
    provider.metadata = {
      ...provider.metadata,
      labels: { ...provider.metadata?.labels, 'provider.io/team': 'a' },
      annotations: { ...provider.metadata?.annotations, 'provider.io/seen': 'yes' },
    };
    provider['leftover'] = { from: 'an older consumer version' };
    const changed = desiredProviderObject(
      {
        ...consumer(),
        spec: { size: 5 },
        metadata: { ...consumer().metadata, labels: { tier: '1' } },
      },
      namespacedTarget,
    );

    expect(providerUpdate(provider, changed)).toStrictEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: {
        name: 'w',
        namespace: providerNamespace,
        uid: 'p-uid',
        resourceVersion: '42',
        generation: 1,
        labels: { app: 'shop', 'provider.io/team': 'a', tier: '1' },
        annotations: {
          note: 'hi',
          [clusterNamespaceAnnotation]: contract,
          [consumerNamespaceAnnotation]: 'default',
          [consumerUIDAnnotation]: 'c-uid',
          'provider.io/seen': 'yes',
        },
      },
      spec: { size: 5 },
      status: { phase: 'Provisioned' },
    });
  });

  it('updates a changed annotation value', () => {
    const changed = desiredProviderObject(
      {
        ...consumer(),
        metadata: { ...consumer().metadata, annotations: { note: 'bye' } },
      },
      namespacedTarget,
    );
    expect(providerUpdate(live(desired), changed)?.metadata?.annotations?.['note']).toBe('bye');
  });

  it('adds the contract Namespace owner to an object created before its UID was known', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'x-uid' };
    const created = desiredProviderObject(
      clusterConsumer(),
      withoutUID(clusterTarget('ClusterNone')),
    );
    const provider = live(created);
    provider.metadata = { ...provider.metadata, ownerReferences: [other] };
    const want = desiredProviderObject(clusterConsumer(), clusterTarget('ClusterNone'));

    const update = providerUpdate(provider, want);
    expect(update?.metadata?.ownerReferences).toStrictEqual([other, contractOwner]);
    expect(update?.metadata?.resourceVersion).toBe('42');
    // Once it is there, nothing is left to do.
    expect(update && providerUpdate(update, want)).toBeUndefined();
  });

  it('leaves a provider object without status without one', () => {
    const provider: SyncObject = { ...live(desired) };
    delete provider.status;
    const update = providerUpdate(provider, { ...desired, spec: { size: 9 } });
    expect(update?.['spec']).toEqual({ size: 9 });
    expect(update).not.toHaveProperty('status');
  });
});

describe('consumerStatusUpdate', () => {
  it('is undefined when the statuses agree, whatever their key order', () => {
    const c = { ...consumer(), status: { phase: 'Ready', replicas: 2 } };
    const p = {
      ...live(desiredProviderObject(c, namespacedTarget)),
      status: { replicas: 2, phase: 'Ready' },
    };
    expect(consumerStatusUpdate(c, p)).toBeUndefined();
  });

  it("is the consumer object with the provider's status", () => {
    const c = consumer();
    const p = live(desiredProviderObject(c, namespacedTarget));
    const update = consumerStatusUpdate(c, p);
    expect(update).toStrictEqual({ ...consumer(), status: { phase: 'Provisioned' } });
    expect(c.status).toEqual({ phase: 'Ready' });
  });

  it('drops the consumer status when the provider object has none', () => {
    const p: SyncObject = { ...live(desiredProviderObject(consumer(), namespacedTarget)) };
    delete p.status;
    const update = consumerStatusUpdate(consumer(), p);
    expect(update).not.toHaveProperty('status');
    expect(update?.['spec']).toEqual({ size: 3 });
  });
});

describe('consumerProvenanceUpdate', () => {
  const provider = (namespace: string | undefined, uid: string): SyncObject => ({
    metadata: { name: 'w', ...(namespace && { namespace }), uid },
  });
  const bare = (): SyncObject => ({
    metadata: { name: 'w', namespace: 'default', annotations: { note: 'hi' } },
  });

  it('adds the provider namespace and UID, keeping other annotations', () => {
    expect(consumerProvenanceUpdate(bare(), provider(providerNamespace, 'p-uid'))).toStrictEqual({
      note: 'hi',
      [providerNamespaceAnnotation]: providerNamespace,
      [providerUIDAnnotation]: 'p-uid',
    });
  });

  it('is undefined when the consumer already records this provider object', () => {
    expect(consumerProvenanceUpdate(consumer(), provider(providerNamespace, 'p-uid'))).toBe(
      undefined,
    );
  });

  it('records a re-created provider object (new UID)', () => {
    expect(consumerProvenanceUpdate(consumer(), provider(providerNamespace, 'p-uid-2'))).toEqual(
      expect.objectContaining({ [providerUIDAnnotation]: 'p-uid-2' }),
    );
  });

  it('removes a stale provider namespace for a cluster-scoped provider object', () => {
    expect(consumerProvenanceUpdate(consumer(), provider(undefined, 'p-uid'))).toStrictEqual({
      note: 'hi',
      [providerUIDAnnotation]: 'p-uid',
    });
  });
});

describe('finalizers', () => {
  const withFinalizers = (...finalizers: string[]): SyncObject => ({
    metadata: { name: 'w', finalizers },
  });

  it('hasFinalizer looks for the syncer finalizer unless told another', () => {
    expect(downstreamFinalizer).toBe('kubebind.io/syncer');
    expect(hasFinalizer(withFinalizers('other', downstreamFinalizer))).toBe(true);
    expect(hasFinalizer(withFinalizers('other'))).toBe(false);
    expect(hasFinalizer({ metadata: { name: 'w' } })).toBe(false);
    expect(hasFinalizer(withFinalizers('other'), 'other')).toBe(true);
  });

  it('finalizersWith adds the finalizer after the others', () => {
    expect(finalizersWith(withFinalizers('a', 'b'), true)).toEqual(['a', 'b', downstreamFinalizer]);
    expect(finalizersWith({ metadata: { name: 'w' } }, true, 'x/y')).toEqual(['x/y']);
  });

  it('finalizersWith never lists the finalizer twice', () => {
    const out = finalizersWith(withFinalizers(downstreamFinalizer, 'a'), true);
    expect(out.filter((f) => f === downstreamFinalizer)).toHaveLength(1);
    expect(out.toSorted()).toEqual(['a', downstreamFinalizer].toSorted());
  });

  it('finalizersWith removes only the given finalizer', () => {
    const obj = withFinalizers('a', downstreamFinalizer, 'b');
    expect(finalizersWith(obj, false)).toEqual(['a', 'b']);
    expect(finalizersWith(obj, false, 'a')).toEqual([downstreamFinalizer, 'b']);
    expect(obj.metadata?.finalizers).toEqual(['a', downstreamFinalizer, 'b']);
  });
});
