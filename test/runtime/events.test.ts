// The event recorder on the real kube-apiserver: an Event that `kubectl describe` shows for the
// object, a repeat counted on the same Event rather than a new one, and cluster-scoped objects'
// events in `default`.
import { describe, expect, it } from 'vitest';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps, Events, Namespaces } from '../../src/kube/resources.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { ClientEventRecorder } from '../../src/runtime/events.ts';
import { kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';

describe('event recorder', () => {
  it('records, counts repeats, and files cluster-scoped objects under default', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'events');
    const cm = await new ResourceClient(admin, ConfigMaps, ns).create({
      metadata: { name: 'subject' },
    });
    const recorder = new ClientEventRecorder({
      client: admin,
      component: 'test-component',
      clock: realClock,
      log: testLogger(),
    });

    await recorder.event(
      { apiVersion: 'v1', kind: 'ConfigMap', ...cm },
      'Warning',
      'Broken',
      'it broke',
    );
    await recorder.event(
      { apiVersion: 'v1', kind: 'ConfigMap', ...cm },
      'Warning',
      'Broken',
      'it broke',
    );
    const events = await new ResourceClient(admin, Events, ns).list({
      fieldSelector: `involvedObject.uid=${cm.metadata?.uid ?? ''}`,
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      type: 'Warning',
      reason: 'Broken',
      message: 'it broke',
      count: 2,
      source: { component: 'test-component' },
      involvedObject: { kind: 'ConfigMap', name: 'subject', namespace: ns },
    });

    const namespace = await new ResourceClient(admin, Namespaces).get(ns);
    await recorder.event(
      { apiVersion: 'v1', kind: 'Namespace', ...namespace },
      'Normal',
      'Seen',
      'hello',
    );
    const clusterScoped = await new ResourceClient(admin, Events, 'default').list({
      fieldSelector: `involvedObject.uid=${namespace.metadata?.uid ?? ''}`,
    });
    expect(clusterScoped.items.map((e) => e.reason)).toEqual(['Seen']);
  });
});
