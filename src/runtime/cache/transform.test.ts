// What caches keep: the managedFields transform on its own, and an informer that applies it (by
// default, or another transform when asked) to listed and watched objects alike.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.ts';
import { FakeClock } from '../clock.ts';
import type { EventHandler } from './informer.ts';
import { SharedInformer } from './informer.ts';
import { memorySource } from './memory-source.testing.ts';
import { keepAll, stripManagedFields } from './transform.ts';
import type { TransformFunc } from './transform.ts';

const managedFields = [
  { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' },
];

const cm = (name: string, rv: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: 'ns',
    resourceVersion: rv,
    labels: { app: 'x' },
    managedFields: structuredClone(managedFields),
  },
  data,
});

describe('stripManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else', () => {
    const obj = cm('a', '1', { k: 'v' });
    const out = stripManagedFields<KubeObject>(obj);
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', labels: { app: 'x' } },
      data: { k: 'v' },
    });
    expect(out.metadata && 'managedFields' in out.metadata).toBe(false);
  });

  it('leaves its argument as it was', () => {
    const obj = cm('a', '1');
    const before = structuredClone(obj);
    stripManagedFields<KubeObject>(obj);
    expect(obj).toEqual(before);
  });

  it('returns the object itself when there is nothing to drop', () => {
    const plain: KubeObject = { metadata: { name: 'a' } };
    expect(stripManagedFields(plain)).toBe(plain);
    const bare: KubeObject = { kind: 'X' };
    expect(stripManagedFields(bare)).toBe(bare);
  });

  it('drops an explicitly undefined or empty managedFields too', () => {
    const empty: KubeObject = { metadata: { name: 'a', managedFields: [] } };
    expect(stripManagedFields(empty)).toEqual({ metadata: { name: 'a' } });
  });
});

async function informerOver(items: KubeObject[], transform?: TransformFunc) {
  const { source, push } = memorySource(items);
  const informer = new SharedInformer<KubeObject>({
    resource: 'configmaps',
    source,
    clock: new FakeClock(),
    log: pino({ level: 'silent' }),
    ...(transform && { transform }),
  });
  const seen: KubeObject[] = [];
  const handler: EventHandler<KubeObject> = {
    add: (o) => seen.push(o),
    update: (_old, o) => seen.push(o),
    delete: (o) => seen.push(o),
  };
  informer.addEventHandler(handler);
  informer.start();
  await informer.waitForSync();
  return { informer, push, seen };
}

const hasManagedFields = (o: KubeObject): boolean =>
  o.metadata !== undefined && 'managedFields' in o.metadata;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('informer transform', () => {
  it('caches listed and watched objects without managedFields by default', async () => {
    const { informer, push, seen } = await informerOver([cm('a', '1'), cm('b', '1')]);
    try {
      push({ type: 'ADDED', object: cm('c', '2') });
      push({ type: 'MODIFIED', object: cm('a', '3', { v: '2' }) });
      push({ type: 'DELETED', object: cm('b', '4') });
      await until(() => seen.length === 5);
      expect(informer.lister.keys().sort()).toEqual(['ns/a', 'ns/c']);
      expect(informer.lister.list().some(hasManagedFields)).toBe(false);
      expect(seen.some(hasManagedFields)).toBe(false);
      // Everything else is still there.
      expect(informer.lister.get('ns/a')).toEqual({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', namespace: 'ns', resourceVersion: '3', labels: { app: 'x' } },
        data: { v: '2' },
      });
    } finally {
      await informer.stop();
    }
  });

  it('takes a transform of its own instead, per informer', async () => {
    const { informer: kept } = await informerOver([cm('a', '1')], keepAll);
    const dropData: TransformFunc = (o) => ({ ...o, data: undefined }) as KubeObject;
    const { informer: custom } = await informerOver([cm('a', '1', { k: 'v' })], dropData);
    try {
      expect(hasManagedFields(kept.lister.get('ns/a') ?? {})).toBe(true);
      const a = custom.lister.get('ns/a') ?? {};
      expect((a as { data?: unknown }).data).toBeUndefined();
      expect(hasManagedFields(a)).toBe(true);
    } finally {
      await kept.stop();
      await custom.stop();
    }
  });
});
