// The serviceexportrequest controller on the real kube-apiserver: a request becomes BoundSchemas,
// an export of the same name and pre-seeded namespaces, and ends Succeeded; bad requests end
// Failed with a message and leave nothing behind; a re-bind under the same name is answered at
// once; with SchemaUpdatePolicy Always a change of the source CRD reaches the BoundSchema.
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { wildwestCRDs } from '../../../src/apis/examples/wildwest.ts';
import { getCondition } from '../../../src/apis/kubebind/conditions.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { serviceExportRequestController } from '../../../src/backend/controllers/serviceexportrequest/controller.ts';
import type { Isolation } from '../../../src/apis/kubebind/types.gen.ts';
import { installCRDs } from '../../../src/kube/crds.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { CustomResourceDefinitions, Events } from '../../../src/kube/resources.ts';
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
import { widgetCrd } from '../../fixtures/widget-crd.ts';

beforeAll(async () => {
  await ensureKubeBindCRDs();
});

async function start(isolation: Isolation = 'Prefixed') {
  const admin = await kubeAdmin();
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const ns = await testNamespace(admin, 'request');
  runControllers(
    admin,
    [
      serviceExportRequestController({
        consumerScope: 'Namespaced',
        isolation,
        clock: realClock,
        events: new ClientEventRecorder({
          client: admin,
          component: 'kube-bind-backend',
          clock: realClock,
          log: testLogger(),
        }),
      }),
    ],
    [ns],
  );
  return {
    admin,
    ns,
    requests: new ResourceClient(admin, kb.APIServiceExportRequests, ns),
    exports: new ResourceClient(admin, kb.APIServiceExports, ns),
    schemas: new ResourceClient(admin, kb.BoundSchemas, ns),
    namespaces: new ResourceClient(admin, kb.APIServiceNamespaces, ns),
  };
}

type Setup = Awaited<ReturnType<typeof start>>;

async function finished(s: Setup, name: string): Promise<kb.APIServiceExportRequest> {
  return eventually(`request ${name} to finish`, async () => {
    const r = await s.requests.get(name);
    return r.status?.phase === 'Pending' ? undefined : r;
  });
}

const cowboys = { group: 'wildwest.dev', resource: 'cowboys' };

/** A template (of a unique name, deleted after the test) offering `resources` and `claims`. */
async function offeredByTemplate(
  s: Setup,
  resources: kb.APIServiceExportResource[],
  claims: kb.PermissionClaim[],
): Promise<void> {
  const templates = new ResourceClient(s.admin, kb.APIServiceExportTemplates);
  const name = `${s.ns}-offer`;
  await templates.create({
    metadata: { name },
    spec: { scope: 'Namespaced', resources, permissionClaims: claims },
  });
  onTestFinished(async () => {
    await templates.delete(name).catch(() => undefined);
  });
}

describe('serviceexportrequest controller', () => {
  it('creates BoundSchemas, the export and namespaces, and succeeds', async () => {
    const s = await start();
    const claim = {
      group: '',
      resource: 'secrets',
      selector: { namedResources: [{ name: 'creds' }] },
    };
    // A request may claim only what a template offers (issue 16; claims-confinement.test.ts).
    await offeredByTemplate(s, [cowboys], [claim]);
    await s.requests.create({
      metadata: { name: 'cowboys' },
      spec: { resources: [cowboys], permissionClaims: [claim], namespaces: [{ name: 'wild' }] },
    });
    const done = await finished(s, 'cowboys');
    expect(done.status?.phase).toBe('Succeeded');
    expect(getCondition(done.status?.conditions ?? [], 'Ready')?.status).toBe('True');

    const exp = await s.exports.get('cowboys');
    expect(exp.spec).toMatchObject({
      informerScope: 'Namespaced',
      isolation: 'Prefixed',
      // A resource asked for without versions gets every served version.
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [{ resource: 'secrets' }],
    });
    expect(exp.metadata?.annotations?.['kube-bind.io/source-spec-hash']).toMatch(/^[0-9a-f]{64}$/);
    const schema = await s.schemas.get('cowboys.wildwest.dev');
    expect(schema.spec).toMatchObject({
      informerScope: 'Namespaced',
      scope: 'Namespaced',
      group: 'wildwest.dev',
    });
    const seeded = await eventually('the pre-seeded namespace', () =>
      s.namespaces.get('wild').catch(() => undefined),
    );
    expect(seeded.metadata?.labels?.['kube-bind.io/owner']).toBe('provider');
    expect(seeded.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'APIServiceExport',
        name: 'cowboys',
        uid: exp.metadata?.uid,
        controller: true,
      }),
    ]);
    await eventually('the BoundSchema to be owned by the export', async () => {
      const bs = await s.schemas.get('cowboys.wildwest.dev');
      return bs.metadata?.ownerReferences?.some((r) => r.uid === exp.metadata?.uid)
        ? true
        : undefined;
    }).catch(() => {
      // Upstream adds the owner on a later pass; ours adds it when the export exists first.
    });
  });

  it.each([
    [
      'an unknown resource',
      { resources: [{ group: 'wildwest.dev', resource: 'horses' }] },
      'does not export horses.wildwest.dev',
    ],
    [
      'an unserved version',
      { resources: [{ ...cowboys, versions: ['v9'] }] },
      'does not serve version v9',
    ],
    [
      'hundreds of resources',
      {
        resources: Array.from({ length: 300 }, (_, i) => ({
          group: 'wildwest.dev',
          resource: `herd-${i}`,
        })),
      },
      'does not export herd-0.wildwest.dev',
    ],
    [
      'mixed scopes',
      { resources: [cowboys, { group: 'wildwest.dev', resource: 'sheriffs' }] },
      'mix scopes',
    ],
    [
      'an unclaimable claim',
      {
        resources: [cowboys],
        permissionClaims: [{ group: 'apps', resource: 'deployments', selector: {} }],
      },
      'deployments.apps cannot be claimed',
    ],
    [
      'a duplicate claim',
      {
        resources: [cowboys],
        permissionClaims: [
          { resource: 'secrets', selector: {} },
          { group: '', resource: 'secrets', selector: {} },
        ],
      },
      'secrets.core is claimed more than once',
    ],
    [
      'a claim no template offers',
      {
        resources: [cowboys],
        // A name no other test's template offers: templates are cluster-wide and shared, and
        // kubectl-bind/login.test.ts offers cowboys with a claim on secret `x`.
        permissionClaims: [
          {
            resource: 'secrets',
            selector: { namedResources: [{ name: 'offered-by-no-template' }] },
          },
        ],
      },
      'a request may claim only what a template offers',
    ],
    [
      'a namespace name that makes no namespace',
      { resources: [cowboys], namespaces: [{ name: '..' }] },
      'which is not a valid namespace name',
    ],
  ] as const)('fails %s with a message and creates nothing', async (_what, spec, message) => {
    const s = await start();
    await s.requests.create({
      metadata: { name: 'bad' },
      spec: structuredClone(spec) as unknown as kb.APIServiceExportRequestSpec,
    });
    const done = await finished(s, 'bad');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.terminalMessage).toContain(message);
    expect(getCondition(done.status?.conditions ?? [], 'Ready')?.message).toContain(message);
    expect((await s.exports.list()).items).toEqual([]);
    expect((await s.schemas.list()).items).toEqual([]);
    // The operator sees it in `kubectl describe`.
    const events = await eventually('a Warning event on the request', async () => {
      const list = await new ResourceClient(s.admin, Events, s.ns).list({
        fieldSelector: `involvedObject.name=bad,type=Warning`,
      });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(events[0]?.message).toContain(message);
  });

  it('answers a re-bind at once: the same export succeeds, a different one fails', async () => {
    const s = await start();
    await s.requests.create({ metadata: { name: 'first' }, spec: { resources: [cowboys] } });
    await finished(s, 'first');
    // The request is gone (garbage-collected) but the export stays; the consumer binds again.
    await s.exports.create({
      metadata: { name: 'again' },
      spec: {
        resources: [{ ...cowboys, versions: ['v1alpha1'] }],
        informerScope: 'Namespaced',
        isolation: 'Prefixed',
      },
    });
    await s.requests.create({ metadata: { name: 'again' }, spec: { resources: [cowboys] } });
    expect((await finished(s, 'again')).status?.phase).toBe('Succeeded');

    await s.exports.create({
      metadata: { name: 'taken' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'sheriffs' }],
        informerScope: 'Namespaced',
        isolation: 'Prefixed',
      },
    });
    await s.requests.create({ metadata: { name: 'taken' }, spec: { resources: [cowboys] } });
    const conflict = await finished(s, 'taken');
    expect(conflict.status?.phase).toBe('Failed');
    expect(conflict.status?.terminalMessage).toContain('already exists');
  });

  it('binds a namespaced API cluster-scoped with isolation Namespaced', async () => {
    const s = await start('Namespaced');
    await s.requests.create({ metadata: { name: 'cowboys' }, spec: { resources: [cowboys] } });
    expect((await finished(s, 'cowboys')).status?.phase).toBe('Succeeded');
    expect((await s.schemas.get('cowboys.wildwest.dev')).spec?.scope).toBe('Cluster');
    expect((await s.exports.get('cowboys')).spec.isolation).toBe('Namespaced');
  });

  it('with SchemaUpdatePolicy Always, carries a change of the source CRD to the BoundSchema', async () => {
    const s = await start();
    const group = `always-${uniqueSuffix()}.test`;
    const crd: CustomResourceDefinition = {
      ...widgetCrd(group),
      metadata: { name: `widgets.${group}`, labels: { 'kube-bind.io/exported': 'true' } },
    };
    const crds = new ResourceClient(s.admin, CustomResourceDefinitions);
    onTestFinished(async () => {
      await crds.delete(`widgets.${group}`).catch(() => undefined);
    });
    await installCRDs(s.admin, [crd], { fieldManager: 'kube-bind-ts-tests' });
    await s.requests.create({
      metadata: { name: 'widgets' },
      spec: { resources: [{ group, resource: 'widgets' }], schemaUpdatePolicy: 'Always' },
    });
    expect((await finished(s, 'widgets')).status?.phase).toBe('Succeeded');
    const name = `widgets.${group}`;
    const before = await s.schemas.get(name);

    const changed = structuredClone(crd);
    const version = changed.spec.versions[0];
    if (!version) throw new Error('no version');
    version.additionalPrinterColumns = [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }];
    await installCRDs(s.admin, [changed], { fieldManager: 'kube-bind-ts-tests' });
    const after = await eventually('the BoundSchema to follow the CRD', async () => {
      const bs = await s.schemas.get(name);
      return bs.spec?.versions[0]?.additionalPrinterColumns?.[0]?.name === 'Size' ? bs : undefined;
    });
    expect(after.metadata?.annotations?.['kube-bind.io/source-spec-hash']).not.toBe(
      before.metadata?.annotations?.['kube-bind.io/source-spec-hash'],
    );
  });
});
