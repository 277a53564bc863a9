import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { APIResourceSchema } from '../../apis/kubebind/kcp.ts';
import { exportedLabel } from '../../apis/kubebind/wire.ts';
import { KubeClient } from '../../kube/client.ts';
import type { KubeObject, ResourceType } from '../../kube/resource.ts';
import type { InformerFactory, InformerScope } from '../../runtime/cache/factory.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import { objectKey } from '../../runtime/cache/keys.ts';
import { Store } from '../../runtime/cache/store.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import { crdSource, kcpSource } from '../options/values.ts';
import { apiResourceSchemas, crdSchemas, exportedSchemaSource } from './exported-schemas.ts';

/** A cluster whose informers hold `objects` (of whatever type is asked) and remember the ask. */
function clusterWith(objects: KubeObject[]) {
  const asked: { resource: string; scope: InformerScope | undefined }[] = [];
  const store = new Store<KubeObject>(objectKey);
  for (const obj of objects) store.upsert(obj);
  const informer: Informer = {
    resource: 'any',
    lister: store,
    hasSynced: () => true,
    waitForSync: () => Promise.resolve(),
    addEventHandler: () => ({ remove: () => undefined }),
    addIndexer: (name, fn) => {
      if (!store.hasIndex(name)) store.addIndexer(name, fn);
    },
  };
  const informers: InformerFactory = {
    informerFor: <T extends KubeObject>(type: ResourceType<T>, scope?: InformerScope) => {
      asked.push({ resource: `${type.resource}.${type.group}`, scope });
      return informer as unknown as Informer<T>;
    },
    start: () => undefined,
    waitForSync: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
  // Never called: the source only reads informers.
  const client = new KubeClient({ server: 'https://unused.invalid' });
  onTestFinished(() => client.close());
  const cluster: Cluster = { name: 'c', client, informers };
  return { cluster, asked };
}

const crd = (plural: string, scope: string): CustomResourceDefinition => ({
  metadata: { name: `${plural}.wildwest.dev`, labels: { [exportedLabel]: 'true' } },
  spec: {
    group: 'wildwest.dev',
    names: { plural, kind: plural },
    scope,
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object' } },
      },
    ],
  },
});

const schema = (
  name: string,
  plural: string,
  scope: 'Namespaced' | 'Cluster',
  created: string,
): APIResourceSchema => ({
  metadata: { name, creationTimestamp: created, labels: { [exportedLabel]: 'true' } },
  spec: {
    group: 'wildwest.dev',
    names: { plural, kind: plural },
    scope,
    versions: [{ name: 'v1', served: true, storage: true, schema: { type: 'object' } }],
  },
});

describe('exportedSchemaSource', () => {
  it('is chosen by --schema-source', () => {
    expect(exportedSchemaSource(crdSource)).toBe(crdSchemas);
    expect(exportedSchemaSource(kcpSource)).toBe(apiResourceSchemas);
    expect(crdSchemas.noun).toBe('CRD');
    expect(apiResourceSchemas.noun).toBe('APIResourceSchema');
  });
});

describe('labelled CRDs', () => {
  it('watches labelled CRDs and keys them <plural>.<group>, schema wrapper kept', () => {
    const { cluster, asked } = clusterWith([
      crd('cowboys', 'Namespaced'),
      crd('sheriffs', 'Cluster'),
    ]);
    const exported = crdSchemas.in(cluster);
    expect(asked).toEqual([
      {
        resource: 'customresourcedefinitions.apiextensions.k8s.io',
        scope: { labelSelector: 'kube-bind.io/exported=true' },
      },
    ]);
    const specs = exported.specs('Cluster');
    expect([...specs.keys()].sort()).toEqual(['cowboys.wildwest.dev', 'sheriffs.wildwest.dev']);
    expect(specs.get('cowboys.wildwest.dev')).toMatchObject({
      informerScope: 'Cluster',
      scope: 'Namespaced',
      versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object' } } }],
    });
    expect(exported.scopeOf('sheriffs.wildwest.dev')).toBe('Cluster');
    expect(exported.scopeOf('horses.wildwest.dev')).toBeUndefined();
  });
});

describe('labelled APIResourceSchemas', () => {
  const objects = [
    schema('v1.cowboys.wildwest.dev', 'cowboys', 'Namespaced', '2025-01-01T00:00:00Z'),
    schema('v2.cowboys.wildwest.dev', 'cowboys', 'Cluster', '2025-02-01T00:00:00Z'),
    schema('v0.sheriffs.wildwest.dev', 'sheriffs', 'Cluster', '2025-01-01T00:00:00Z'),
  ];

  it('keys them by <plural>.<group> (not their name), with the bare schema', () => {
    const { cluster, asked } = clusterWith(objects);
    const exported = apiResourceSchemas.in(cluster);
    expect(asked[0]).toEqual({
      resource: 'apiresourceschemas.apis.kcp.io',
      scope: { labelSelector: 'kube-bind.io/exported=true' },
    });
    const specs = exported.specs('Namespaced');
    expect([...specs.keys()].sort()).toEqual(['cowboys.wildwest.dev', 'sheriffs.wildwest.dev']);
    expect(specs.get('sheriffs.wildwest.dev')?.versions[0]?.schema).toEqual({ type: 'object' });
  });

  it('takes the newest of several schemas for one resource, in specs and scopeOf alike', () => {
    const { cluster } = clusterWith(objects);
    const exported = apiResourceSchemas.in(cluster);
    expect(exported.specs('Namespaced').get('cowboys.wildwest.dev')?.scope).toBe('Cluster');
    expect(exported.scopeOf('cowboys.wildwest.dev')).toBe('Cluster');
  });

  it('maps each watched object to its key', () => {
    const { cluster } = clusterWith(objects);
    const exported = apiResourceSchemas.in(cluster);
    const keys: string[] = [];
    const w = exported.watch((key) => {
      keys.push(key);
      return [{ name: key }];
    });
    expect(w.map?.(objects[2] as KubeObject)).toEqual([{ name: 'sheriffs.wildwest.dev' }]);
    expect(keys).toEqual(['sheriffs.wildwest.dev']);
  });
});
