// The serviceexportrbac controller on the real kube-apiserver, checked with the kubeconfigs the
// backend issues: each consumer can work with its exported resources and claimed secrets in its
// own namespaces and nothing in another consumer's (upstream's singleton binding would hand the
// last-reconciled consumer everyone's access); cluster-scoped exports are granted cluster-wide;
// deleting an export takes its access away and leaves the other consumer's alone; a recorded
// namespace not created for the consumer (kube-system, say) is granted nothing (issue 16).
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, Sheriffs, wildwestCRDs } from '../../../src/apis/examples/wildwest.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ConsumerProvisioner, namespaceLookup } from '../../../src/backend/binding/provisioner.ts';
import { serviceExportRBACController } from '../../../src/backend/controllers/serviceexportrbac/controller.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { installCRDs } from '../../../src/kube/crds.ts';
import { ForbiddenError } from '../../../src/kube/errors.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { ConfigMaps, Namespaces, Roles, Secrets } from '../../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../../src/runtime/cache/factory.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { clientFromKubeconfig } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

interface Consumer {
  contract: string;
  service: string;
  as: KubeClient;
}

async function consumers(admin: KubeClient, count: number): Promise<Consumer[]> {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const factory = new SharedInformerFactory({ client: admin, clock: realClock, log: testLogger() });
  const lookup = namespaceLookup(factory.informerFor(Namespaces));
  factory.start();
  onTestFinished(() => factory.stop());
  await factory.waitForSync();
  const prefix = `r${uniqueSuffix()}-`;
  const provisioner = new ConsumerProvisioner(
    { namespacePrefix: prefix, prettyName: 'p', server: conn.server, caPem: conn.caPem ?? '' },
    { client: admin, namespacesByIdentity: lookup, clock: realClock, log: testLogger() },
  );
  const namespaces = new ResourceClient(admin, Namespaces);
  const out: Consumer[] = [];
  for (let i = 0; i < count; i++) {
    const { namespace, kubeconfig } = await provisioner.provision({
      identity: `${prefix}${i}`,
      author: 'a',
      owner: { issuer: 'https://issuer.example', subject: 'a' },
    });
    const service = `${namespace}-wild`;
    for (const name of [namespace, service]) {
      onTestFinished(async () => {
        await namespaces.delete(name).catch(() => undefined);
      });
    }
    // As the servicenamespace controller makes it: only a namespace annotated for the
    // APIServiceNamespace is granted anything (issue 16, item 2).
    await namespaces.create({
      metadata: {
        name: service,
        annotations: { 'kube-bind.io/api-service-namespace': `${namespace}/wild` },
      },
    });
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, namespace);
    const asn = await asns.create({ metadata: { name: 'wild' }, spec: {} });
    await asns.updateStatus({ ...asn, status: { namespace: service } });
    out.push({ contract: namespace, service, as: await clientFromKubeconfig(kubeconfig) });
  }
  return out;
}

const allowed = (what: string, attempt: () => Promise<unknown>) =>
  eventually(
    what,
    async () =>
      (await attempt().then(
        () => true,
        () => undefined,
      )) ?? undefined,
  );

async function forbidden(attempt: Promise<unknown>): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
}

describe('serviceexportrbac controller', () => {
  it('grants each consumer its exported and claimed resources in its own namespaces only', async () => {
    const admin = await kubeAdmin();
    const [a, b] = await consumers(admin, 2);
    if (!a || !b) throw new Error('two consumers');
    for (const c of [a, b]) {
      await new ResourceClient(admin, kb.APIServiceExports, c.contract).create({
        metadata: { name: 'cowboys' },
        spec: {
          resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
          permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
          informerScope: 'Namespaced',
          isolation: 'Prefixed',
        },
      });
    }
    runControllers(admin, [serviceExportRBACController('Namespaced')], [a.contract, b.contract]);

    // A, in its own namespaces: the bound resource (read and write) and the claimed secrets.
    await allowed('A to list cowboys in its service namespace', () =>
      new ResourceClient(a.as, Cowboys, a.service).list(),
    );
    await new ResourceClient(a.as, Cowboys, a.service).create({
      metadata: { name: 'billy' },
      spec: { intent: 'ride' },
    });
    await new ResourceClient(a.as, Cowboys, a.contract).list();
    await new ResourceClient(a.as, Secrets, a.service).list();
    await allowed('B to list cowboys in its service namespace', () =>
      new ResourceClient(b.as, Cowboys, b.service).list(),
    );

    // Settled means settled: the roles are not rewritten over and over (the API server returns
    // rules in its own key order; a naive comparison would update, get the event, and loop).
    const roles = new ResourceClient(admin, Roles, a.service);
    const settled = (await roles.get('kube-binder-resources-cowboys')).metadata?.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await roles.get('kube-binder-resources-cowboys')).metadata?.resourceVersion).toBe(
      settled,
    );

    // A, anywhere else: nothing.
    await forbidden(new ResourceClient(a.as, Cowboys, b.service).list());
    await forbidden(new ResourceClient(a.as, Cowboys, b.contract).list());
    await forbidden(new ResourceClient(a.as, Secrets, b.service).list());
    await forbidden(new ResourceClient(a.as, Cowboys).list());
    await forbidden(new ResourceClient(a.as, ConfigMaps, a.service).list());
    await forbidden(new ResourceClient(a.as, Sheriffs).list());

    // A's export goes: so does A's access; B keeps its own.
    await new ResourceClient(admin, kb.APIServiceExports, a.contract).delete('cowboys');
    await eventually(
      'A to lose access',
      async () =>
        (await new ResourceClient(a.as, Cowboys, a.service).list().then(
          () => undefined,
          (e: unknown) => e instanceof ForbiddenError,
        )) ?? undefined,
    );
    await new ResourceClient(b.as, Cowboys, b.service).list();
    await new ResourceClient(b.as, Secrets, b.service).list();
  });

  it('with --consumer-scope=Cluster grants the resource cluster-wide (the konnector watches it so)', async () => {
    const admin = await kubeAdmin();
    const [a] = await consumers(admin, 1);
    if (!a) throw new Error('one consumer');
    await new ResourceClient(admin, kb.APIServiceExports, a.contract).create({
      metadata: { name: 'cowboys' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        informerScope: 'Cluster',
        isolation: 'Prefixed',
      },
    });
    runControllers(admin, [serviceExportRBACController('Cluster')], [a.contract]);
    await allowed('A to list cowboys cluster-wide', () => new ResourceClient(a.as, Cowboys).list());
    await forbidden(new ResourceClient(a.as, Secrets, a.service).list());
  });

  it('grants a cluster-scoped export cluster-wide, to that consumer only', async () => {
    const admin = await kubeAdmin();
    const [a, b] = await consumers(admin, 2);
    if (!a || !b) throw new Error('two consumers');
    await new ResourceClient(admin, kb.APIServiceExports, a.contract).create({
      metadata: { name: 'sheriffs' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1alpha1'] }],
        informerScope: 'Namespaced',
        isolation: 'Prefixed',
      },
    });
    runControllers(admin, [serviceExportRBACController('Namespaced')], [a.contract, b.contract]);
    await allowed('A to list sheriffs', () => new ResourceClient(a.as, Sheriffs).list());
    await forbidden(new ResourceClient(b.as, Sheriffs).list());
    await forbidden(new ResourceClient(a.as, Cowboys, a.service).list());
  });

  it('grants nothing in a recorded namespace that was not created for the consumer', async () => {
    const admin = await kubeAdmin();
    const [a] = await consumers(admin, 1);
    if (!a) throw new Error('one consumer');
    const namespaces = new ResourceClient(admin, Namespaces);
    const unannotated = `${a.contract}-plain`;
    await namespaces.create({ metadata: { name: unannotated } });
    const asns = new ResourceClient(admin, kb.APIServiceNamespaces, a.contract);
    // What an older backend could have recorded: kube-system adopted, a namespace not made for
    // this APIServiceNamespace.
    for (const [name, recorded] of [
      ['kube-system', 'kube-system'],
      ['plain', unannotated],
    ] as const) {
      const asn = await asns.create({ metadata: { name }, spec: {} });
      await asns.updateStatus({ ...asn, status: { namespace: recorded } });
    }
    await new ResourceClient(admin, kb.APIServiceExports, a.contract).create({
      metadata: { name: 'cowboys' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
        informerScope: 'Namespaced',
        isolation: 'None',
      },
    });
    runControllers(admin, [serviceExportRBACController('Namespaced')], [a.contract]);
    await allowed('A to list secrets in its service namespace', () =>
      new ResourceClient(a.as, Secrets, a.service).list(),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const ns of ['kube-system', unannotated]) {
      await forbidden(new ResourceClient(a.as, Secrets, ns).list());
      await forbidden(new ResourceClient(a.as, Cowboys, ns).list());
      const ours = (await new ResourceClient(admin, Roles, ns).list()).items.filter((r) =>
        r.metadata?.annotations?.['kube-bind.io/export']?.startsWith(`${a.contract}/`),
      );
      expect(ours).toEqual([]);
    }
  });
});
