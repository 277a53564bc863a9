// The servicenamespace controller on the real kube-apiserver: an APIServiceNamespace gets its
// provider namespace (prefixed, or the consumer's name with isolation None), recorded in status
// and sticky; deleting the APIServiceNamespace deletes the namespace made for it.
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { serviceNamespaceController } from '../../../src/backend/controllers/servicenamespace/controller.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces } from '../../../src/kube/resources.ts';
import { eventually, kubeAdmin, testNamespace, uniqueSuffix } from '../../harness/context.ts';
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
});
