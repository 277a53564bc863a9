// The servicenamespace controller on the real kube-apiserver: an APIServiceNamespace gets its
// provider namespace (prefixed, or the consumer's name with isolation None), recorded in status
// and sticky; deleting the APIServiceNamespace deletes the namespace made for it; a namespace it
// did not create is never adopted (issue 16, item 2).
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { serviceNamespaceController } from '../../../src/backend/controllers/servicenamespace/controller.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Events, Namespaces } from '../../../src/kube/resources.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { ClientEventRecorder } from '../../../src/runtime/events.ts';
import {
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
  uniqueSuffix,
} from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('servicenamespace controller', () => {
  it('creates the prefixed namespace, records it, and deletes it with its APIServiceNamespace', async () => {
    const admin = await kubeAdmin();
    const contract = await testNamespace(admin, 'contract');
    runControllers(admin, [serviceNamespaceController('Prefixed')], [contract]);
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, contract);
    const namespaces = new ResourceClient(admin, Namespaces);
    await asns.create({ metadata: { name: 'wild' }, spec: {} });

    const target = `${contract}-wild`;
    const recorded = await eventually('status.namespace', async () => {
      const asn = await asns.get('wild');
      return asn.status?.namespace;
    });
    expect(recorded).toBe(target);
    const ns = await namespaces.get(target);
    expect(ns.metadata?.annotations?.['kube-bind.io/api-service-namespace']).toBe(
      `${contract}/wild`,
    );

    await asns.delete('wild');
    await eventually('the service namespace to go', async () => {
      const live = await namespaces.get(target).catch(() => undefined);
      return !live || live.metadata?.deletionTimestamp ? true : undefined;
    });
  });

  it('uses the consumer namespace name with isolation None, and keeps a recorded name', async () => {
    const admin = await kubeAdmin();
    const contract = await testNamespace(admin, 'contract');
    runControllers(admin, [serviceNamespaceController('None')], [contract]);
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, contract);
    const shared = `shared-${uniqueSuffix()}`;
    onTestFinished(async () => {
      await new ResourceClient(admin, Namespaces).delete(shared).catch(() => undefined);
    });
    await asns.create({ metadata: { name: shared }, spec: {} });
    expect(
      await eventually('status.namespace', async () => (await asns.get(shared)).status?.namespace),
    ).toBe(shared);

    // A name recorded by an earlier backend (or another isolation) stays.
    const sticky = `sticky-${uniqueSuffix()}`;
    onTestFinished(async () => {
      await new ResourceClient(admin, Namespaces).delete(sticky).catch(() => undefined);
    });
    const created = await asns.create({ metadata: { name: 'old' }, spec: {} });
    await asns.updateStatus({ ...created, status: { namespace: sticky } }).catch(async () => {
      const live = await asns.get('old');
      await asns.updateStatus({ ...live, status: { namespace: sticky } });
    });
    await eventually('the recorded namespace to exist', async () =>
      (await new ResourceClient(admin, Namespaces).get(sticky).catch(() => undefined))
        ? true
        : undefined,
    );
    expect((await asns.get('old')).status?.namespace).toBe(sticky);
  });

  it('never adopts a namespace it did not create: a recorded one is given up, with a warning', async () => {
    const admin = await kubeAdmin();
    const contract = await testNamespace(admin, 'contract');
    const namespaces = new ResourceClient(admin, Namespaces);
    const foreign = `foreign-${uniqueSuffix()}`;
    const adopted = `adopted-${uniqueSuffix()}`;
    await namespaces.create({ metadata: { name: foreign, labels: { keep: 'me' } } });
    for (const name of [foreign, adopted]) {
      onTestFinished(async () => {
        await namespaces.delete(name).catch(() => undefined);
      });
    }
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, contract);
    // As an older backend that adopted existing namespaces would have left it.
    const created = await asns.create({ metadata: { name: adopted }, spec: {} });
    await asns.updateStatus({ ...created, status: { namespace: foreign } });
    // And as a consumer would ask with isolation None: its name is an existing namespace.
    await asns.create({ metadata: { name: foreign }, spec: {} });
    runControllers(
      admin,
      [
        serviceNamespaceController(
          'None',
          new ClientEventRecorder({
            client: admin,
            component: 'kube-bind-backend',
            clock: realClock,
            log: testLogger(),
          }),
        ),
      ],
      [contract],
    );
    for (const name of [adopted, foreign]) {
      const said = await eventually(`a warning about ${name}`, async () => {
        const list = await new ResourceClient(admin, Events, contract).list({
          fieldSelector: `involvedObject.name=${name},type=Warning`,
        });
        return list.items[0];
      });
      expect(said.reason).toBe('NamespaceTaken');
      expect(said.message).toContain(`namespace ${foreign} already exists`);
    }
    // The one whose own name is free gets a namespace made for it; the other gets none.
    expect(
      await eventually('the given-up name to be replaced', async () => {
        const recorded = (await asns.get(adopted)).status?.namespace;
        return recorded && recorded !== foreign ? recorded : undefined;
      }),
    ).toBe(adopted);
    expect(
      (await namespaces.get(adopted)).metadata?.annotations?.['kube-bind.io/api-service-namespace'],
    ).toBe(`${contract}/${adopted}`);
    expect((await asns.get(foreign)).status?.namespace ?? '').toBe('');
    const live = await namespaces.get(foreign);
    expect(live.metadata?.labels).toMatchObject({ keep: 'me' });
    expect(live.metadata?.annotations?.['kube-bind.io/api-service-namespace']).toBeUndefined();
    // Deleting the APIServiceNamespaces leaves the foreign namespace alone: it was never theirs.
    await asns.delete(adopted);
    await asns.delete(foreign);
    await eventually('the namespace made for it to go', async () => {
      const ns = await namespaces.get(adopted).catch(() => undefined);
      return !ns || ns.metadata?.deletionTimestamp ? true : undefined;
    });
    expect((await namespaces.get(foreign)).metadata?.deletionTimestamp).toBeUndefined();
  });

  it('gives one consumer at most its quota of service namespaces', async () => {
    const admin = await kubeAdmin();
    const contract = await testNamespace(admin, 'contract');
    const events = new ClientEventRecorder({
      client: admin,
      component: 'kube-bind-backend',
      clock: realClock,
      log: testLogger(),
    });
    runControllers(
      admin,
      [serviceNamespaceController('Prefixed', events, { perConsumer: 2, recheckMs: 500 })],
      [contract],
    );
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, contract);
    for (const name of ['one', 'two']) {
      await asns.create({ metadata: { name }, spec: {} });
      await eventually(
        `${name} to be served`,
        async () => (await asns.get(name)).status?.namespace,
      );
    }
    await asns.create({ metadata: { name: 'three' }, spec: {} });
    const said = await eventually('a warning about the third', async () => {
      const list = await new ResourceClient(admin, Events, contract).list({
        fieldSelector: 'involvedObject.name=three,type=Warning',
      });
      return list.items[0];
    });
    expect(said.reason).toBe('TooManyNamespaces');
    expect((await asns.get('three')).status?.namespace ?? '').toBe('');
    const made = await new ResourceClient(admin, Namespaces)
      .get(`${contract}-three`)
      .catch(() => undefined);
    expect(made).toBeUndefined();
    // Room again once one goes: the refused one looks again and is served.
    await asns.delete('one');
    expect(
      await eventually(
        'the third to be served',
        async () => (await asns.get('three')).status?.namespace,
      ),
    ).toBe(`${contract}-three`);
  });
});
