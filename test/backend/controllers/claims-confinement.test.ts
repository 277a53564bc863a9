// Issue 16, item 2: permission claims never reach beyond the consumer's own namespaces. Each test
// performs the attack a consumer can make with the kubeconfig the backend issued it (the
// `kube-binder` service account of its contract namespace), against the real kube-apiserver with
// the serviceexportrequest, servicenamespace and serviceexportrbac controllers running, for each
// isolation and consumer scope:
//
// - an APIServiceExportRequest claiming `secrets` with `namespaces: [{name: kube-system}]`;
// - APIServiceNamespaces it creates itself, named after `kube-system`, another consumer's service
//   namespace and another consumer's contract namespace (the konnector's way of asking);
// - a request claiming what no template offers.
//
// Then, with the issued credentials (SelfSubjectAccessReview and real list/get/create calls): no
// Secret of kube-system, of the cluster at large or of the other consumer can be read; kube-system
// is untouched (labels, annotations, no Role or RoleBinding of ours); and the request or the
// APIServiceNamespace says why it was refused.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { getCondition } from '../../../src/apis/kubebind/conditions.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ConsumerProvisioner, namespaceLookup } from '../../../src/backend/binding/provisioner.ts';
import { serviceExportRBACController } from '../../../src/backend/controllers/serviceexportrbac/controller.ts';
import { managedByLabel as managedLabel } from '../../../src/apis/kubebind/wire.ts';
import { serviceExportRequestController } from '../../../src/backend/controllers/serviceexportrequest/controller.ts';
import type {
  InformerScope as ConsumerScope,
  Isolation,
} from '../../../src/apis/kubebind/types.gen.ts';
import { serviceNamespaceController } from '../../../src/backend/controllers/servicenamespace/controller.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { installCRDs } from '../../../src/kube/crds.ts';
import { ForbiddenError, ignoreAlreadyExists } from '../../../src/kube/errors.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import {
  ClusterRoles,
  ConfigMaps,
  CustomResourceDefinitions,
  Events,
  Namespaces,
  RoleBindings,
  Roles,
  SelfSubjectAccessReviews,
  Secrets,
} from '../../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../../src/runtime/cache/factory.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { ClientEventRecorder } from '../../../src/runtime/events.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { clientFromKubeconfig, deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { widgetCrd } from '../../fixtures/widget-crd.ts';

beforeAll(ensureKubeBindCRDs);

interface Consumer {
  contract: string;
  as: KubeClient;
}

interface Provider {
  admin: KubeClient;
  group: string;
  widgets: { group: string; resource: string };
  a: Consumer;
  b: Consumer;
  /** A cluster-scoped APIServiceExportTemplate, deleted after the test. */
  template(spec: Omit<kb.APIServiceExportTemplateSpec, 'scope' | 'resources'>): Promise<void>;
  /** Deletes `name` after the test (service namespaces with isolation None have no prefix). */
  cleanUp(name: string): void;
}

/**
 * Two consumers provisioned as the front door does, an exported CRD of a group of this test's
 * own (so no other test's template can offer it), and the three controllers.
 */
async function provider(consumerScope: ConsumerScope, isolation: Isolation): Promise<Provider> {
  const admin = await kubeAdmin();
  const suffix = uniqueSuffix();
  const group = `claims${suffix}.example.com`;
  const crd = widgetCrd(group);
  crd.metadata = { ...crd.metadata, labels: { 'kube-bind.io/exported': 'true' } };
  await installCRDs(admin, [crd], { fieldManager: 'kube-bind-ts-tests' });
  const crds = new ResourceClient(admin, CustomResourceDefinitions);
  onTestFinished(async () => {
    await crds.delete(`widgets.${group}`).catch(() => undefined);
  });

  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const factory = new SharedInformerFactory({ client: admin, clock: realClock, log: testLogger() });
  const lookup = namespaceLookup(factory.informerFor(Namespaces));
  factory.start();
  onTestFinished(() => factory.stop());
  await factory.waitForSync();
  const prefix = `cc${suffix}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const provisioner = new ConsumerProvisioner(
    { namespacePrefix: prefix, prettyName: 'p', server: conn.server, caPem: conn.caPem ?? '' },
    { client: admin, namespacesByIdentity: lookup, clock: realClock, log: testLogger() },
  );
  const consumer = async (who: string): Promise<Consumer> => {
    const identity = `${prefix}${who}`;
    const { namespace, kubeconfig } = await provisioner.provision({
      identity,
      author: who,
      owner: { issuer: 'https://issuer.test', subject: who },
    });
    return { contract: namespace, as: await clientFromKubeconfig(kubeconfig) };
  };
  const a = await consumer('a');
  const b = await consumer('b');

  const events = new ClientEventRecorder({
    client: admin,
    component: 'kube-bind-backend',
    clock: realClock,
    log: testLogger(),
  });
  runControllers(
    admin,
    [
      serviceExportRequestController({ consumerScope, isolation, clock: realClock, events }),
      serviceNamespaceController(isolation, events),
      serviceExportRBACController(consumerScope),
    ],
    [a.contract, b.contract],
  );
  const widgets = { group, resource: 'widgets' };
  const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
  const namespaces = new ResourceClient(admin, Namespaces);
  return {
    admin,
    group,
    widgets,
    a,
    b,
    template: async (spec) => {
      const name = `claims-${uniqueSuffix()}`;
      await templates.create({
        metadata: { name },
        spec: { scope: 'Namespaced', resources: [{ ...widgets, versions: ['v1'] }], ...spec },
      });
      onTestFinished(async () => {
        await templates.delete(name).catch(() => undefined);
      });
    },
    cleanUp: (name) => {
      onTestFinished(async () => {
        await namespaces.delete(name).catch(() => undefined);
      });
    },
  };
}

const secretsClaim: kb.PermissionClaim = { group: '', resource: 'secrets', selector: {} };

/** Creates a request with the consumer's own credentials and waits until it is decided. */
async function request(
  c: Consumer,
  name: string,
  spec: kb.APIServiceExportRequestSpec,
): Promise<kb.APIServiceExportRequest> {
  const requests = new ResourceClient(c.as, kb.APIServiceExportRequests, c.contract);
  await requests.create({ metadata: { name }, spec });
  return eventually(`request ${name} to be decided`, async () => {
    const r = await requests.get(name);
    return r.status?.phase === 'Pending' ? undefined : r;
  });
}

/** The provider namespace an APIServiceNamespace got (waits for it). */
function serviceNamespaceOf(c: Consumer, name: string): Promise<string> {
  return eventually(`APIServiceNamespace ${name} to get its namespace`, async () => {
    const asn = await new ResourceClient(c.as, kb.APIServiceNamespaces, c.contract).get(name);
    return asn.status?.namespace || undefined;
  });
}

/** Whether the issued credentials may `verb` secrets in `namespace` ('' for cluster-wide). */
async function mayI(as: KubeClient, verb: string, namespace: string, resource = 'secrets') {
  const review = await new ResourceClient(as, SelfSubjectAccessReviews).create({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb, resource, ...(namespace && { namespace }) } },
  });
  return review.status?.allowed ?? false;
}

async function forbidden(attempt: Promise<unknown>): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
}

/** The consumer may read no Secret in any of `namespaces`, nor cluster-wide. */
async function noSecretsIn(c: Consumer, namespaces: readonly string[]): Promise<void> {
  await forbidden(new ResourceClient(c.as, Secrets).list());
  expect(await mayI(c.as, 'list', '')).toBe(false);
  for (const ns of namespaces) {
    const secrets = new ResourceClient(c.as, Secrets, ns);
    await forbidden(secrets.list());
    await forbidden(secrets.get('anything'));
    for (const verb of ['get', 'list', 'watch', 'create']) {
      expect(await mayI(c.as, verb, ns), `${verb} secrets in ${ns}`).toBe(false);
    }
  }
}

const snapshot = (ns: Namespace) => ({
  labels: ns.metadata?.labels ?? {},
  annotations: ns.metadata?.annotations ?? {},
});

/**
 * kube-system as it is, and a check that it is still so, with no Role or RoleBinding made for
 * an export of `consumers` inside.
 */
async function watchKubeSystem(
  admin: KubeClient,
  consumers: readonly Consumer[],
): Promise<() => Promise<void>> {
  const namespaces = new ResourceClient(admin, Namespaces);
  const before = snapshot(await namespaces.get('kube-system'));
  const forUs = (obj: { metadata?: { annotations?: Record<string, string> } }) =>
    consumers.some((c) =>
      obj.metadata?.annotations?.['kube-bind.io/export']?.startsWith(`${c.contract}/`),
    );
  return async () => {
    expect(snapshot(await namespaces.get('kube-system'))).toEqual(before);
    const ours = { labelSelector: `${managedLabel}=kube-bind-backend` };
    const roles = (await new ResourceClient(admin, Roles, 'kube-system').list(ours)).items;
    const bindings = (await new ResourceClient(admin, RoleBindings, 'kube-system').list(ours))
      .items;
    expect([...roles, ...bindings].filter(forUs).map((o) => o.metadata?.name)).toEqual([]);
  };
}

/** No ClusterRole made for `c` mentions secrets (claims are granted per namespace only). */
async function noClusterWideClaims(admin: KubeClient, c: Consumer): Promise<void> {
  const roles = await new ResourceClient(admin, ClusterRoles).list({
    labelSelector: `${managedLabel}=kube-bind-backend`,
  });
  const mine = roles.items.filter((r) =>
    r.metadata?.annotations?.['kube-bind.io/export']?.startsWith(`${c.contract}/`),
  );
  for (const role of mine) {
    expect(
      role.rules?.flatMap((r) => r.resources ?? []),
      role.metadata?.name,
    ).not.toContain('secrets');
  }
}

/** The Warning events about one object (the controllers' clear word on a refusal). */
async function warnings(admin: KubeClient, namespace: string, name: string): Promise<string[]> {
  const list = await new ResourceClient(admin, Events, namespace).list({
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.filter((e) => e.type === 'Warning').map((e) => `${e.reason}: ${e.message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const combinations: [Isolation, ConsumerScope][] = [
  ['None', 'Namespaced'],
  ['None', 'Cluster'],
  ['Prefixed', 'Namespaced'],
  ['Prefixed', 'Cluster'],
  ['Namespaced', 'Namespaced'],
  ['Namespaced', 'Cluster'],
];

describe.each(combinations)('isolation %s, consumer scope %s', (isolation, consumerScope) => {
  it('a consumer claiming secrets with namespaces: [kube-system] reads no Secret outside its own namespaces', async () => {
    const p = await provider(consumerScope, isolation);
    const kubeSystemUnchanged = await watchKubeSystem(p.admin, [p.a, p.b]);
    await p.template({ permissionClaims: [secretsClaim] });
    // What an attacker is after: a credential of the provider's own.
    const planted = `provider-credential-${uniqueSuffix()}`;
    const systemSecrets = new ResourceClient(p.admin, Secrets, 'kube-system');
    await systemSecrets.create({ metadata: { name: planted }, stringData: { token: 'secret' } });
    onTestFinished(async () => {
      await systemSecrets.delete(planted).catch(() => undefined);
    });

    // Each consumer binds what the template offers, with a namespace of its own.
    const nsA = `a-${uniqueSuffix()}`;
    const nsB = `b-${uniqueSuffix()}`;
    for (const [c, ns] of [
      [p.a, nsA],
      [p.b, nsB],
    ] as const) {
      if (isolation === 'None') p.cleanUp(ns);
      const legit = await request(c, 'legit', {
        resources: [p.widgets],
        permissionClaims: [secretsClaim],
        namespaces: [{ name: ns }],
      });
      expect(legit.status?.phase, legit.status?.terminalMessage).toBe('Succeeded');
    }
    const serviceA = await serviceNamespaceOf(p.a, nsA);
    const serviceB = await serviceNamespaceOf(p.b, nsB);
    // What the claim is for: secrets in A's own namespaces (waits for the grant to arrive).
    for (const ns of [p.a.contract, serviceA]) {
      await eventually(`A to be granted secrets in ${ns}`, async () =>
        (await mayI(p.a.as, 'create', ns)) ? true : undefined,
      );
    }
    await new ResourceClient(p.a.as, Secrets, serviceA).list();

    // The attack: the same claim, for kube-system.
    const grab = await request(p.a, 'grab', {
      resources: [p.widgets],
      permissionClaims: [secretsClaim],
      namespaces: [{ name: 'kube-system' }],
    });
    // The konnector's way, with isolation None: APIServiceNamespaces named after kube-system,
    // default, B's service namespace and B's contract namespace, made with A's credentials.
    const asns = new ResourceClient(p.a.as, kb.APIServiceNamespaces, p.a.contract);
    const names = ['kube-system', 'default', serviceB, p.b.contract];
    if (isolation === 'None') {
      for (const name of names) {
        await ignoreAlreadyExists(asns.create({ metadata: { name }, spec: {} }));
      }
      for (const name of names) {
        await eventually(`APIServiceNamespace ${name} to be decided`, async () => {
          const recorded = (await asns.get(name)).status?.namespace;
          return recorded || (await warnings(p.admin, p.a.contract, name)).length > 0
            ? true
            : undefined;
        });
      }
    }
    // Give the RBAC controller time to act on whatever was recorded.
    await sleep(3000);

    // The RBAC matrix with A's issued credentials.
    await forbidden(new ResourceClient(p.a.as, Secrets, 'kube-system').get(planted));
    await noSecretsIn(p.a, ['kube-system', 'default', p.b.contract, serviceB]);
    await forbidden(new ResourceClient(p.a.as, ConfigMaps, 'kube-system').list());
    // Still granted where it belongs (the matrix above is not empty for lack of a grant).
    expect(await mayI(p.a.as, 'create', serviceA)).toBe(true);
    expect(await mayI(p.b.as, 'create', serviceB)).toBe(true);
    await noSecretsIn(p.b, [p.a.contract, serviceA]);
    await noClusterWideClaims(p.admin, p.a);
    await kubeSystemUnchanged();

    // And each refusal says why.
    if (isolation === 'None') {
      // The provider namespace would be kube-system itself: refused, with the reason.
      expect(grab.status?.phase).toBe('Failed');
      const ready = getCondition(grab.status?.conditions ?? [], 'ExportsReady');
      expect(ready).toMatchObject({ status: 'False', reason: 'SystemNamespace' });
      expect(grab.status?.terminalMessage).toContain('kube-system');
      expect(grab.status?.terminalMessage).toContain('system namespace');
      await expect(
        new ResourceClient(p.admin, kb.APIServiceExports, p.a.contract).get('grab'),
      ).rejects.toThrow();
      for (const name of names) {
        const said = (await warnings(p.admin, p.a.contract, name)).join('\n');
        expect(said).toContain(name);
        expect(said).toMatch(/SystemNamespace|NamespaceTaken/);
        expect((await asns.get(name)).status?.namespace ?? '').toBe('');
      }
      // B's namespace still serves B only.
      const bNs = await new ResourceClient(p.admin, Namespaces).get(serviceB);
      expect(bNs.metadata?.annotations?.['kube-bind.io/api-service-namespace']).toBe(
        `${p.b.contract}/${nsB}`,
      );
    } else {
      // Prefixed: the consumer's kube-system is served by a namespace of its own.
      expect(grab.status?.phase, grab.status?.terminalMessage).toBe('Succeeded');
      expect(await serviceNamespaceOf(p.a, 'kube-system')).toBe(`${p.a.contract}-kube-system`);
    }
  }, 120_000);
});

describe('a request may claim only what a template offers', () => {
  it.each<ConsumerScope>(['Namespaced', 'Cluster'])(
    'consumer scope %s: unoffered claims are refused and grant nothing; offered ones only in the own namespaces',
    async (consumerScope) => {
      const p = await provider(consumerScope, 'Prefixed');
      const configmaps: kb.PermissionClaim = { group: '', resource: 'configmaps', selector: {} };
      await p.template({ permissionClaims: [configmaps] });
      const kubeSystemUnchanged = await watchKubeSystem(p.admin, [p.a, p.b]);

      // Not offered at all: secrets.
      const secrets = await request(p.a, 'secrets', {
        resources: [p.widgets],
        permissionClaims: [secretsClaim],
        namespaces: [{ name: 'wild' }],
      });
      expect(secrets.status?.phase).toBe('Failed');
      expect(getCondition(secrets.status?.conditions ?? [], 'PermissionClaim')).toMatchObject({
        status: 'False',
        reason: 'PermissionClaimNotOffered',
      });
      expect(secrets.status?.terminalMessage).toContain('secrets');
      expect(secrets.status?.terminalMessage).toContain('template');
      // Events are recorded after the status write, so the warning may trail the phase.
      const said = await eventually('a warning on request secrets', async () => {
        const list = await warnings(p.admin, p.a.contract, 'secrets');
        return list.length > 0 ? list.join('\n') : undefined;
      });
      expect(said).toContain('secrets');
      // Offered, but with a selector other than the template's.
      const wider = await request(p.a, 'wider', {
        resources: [p.widgets],
        permissionClaims: [
          {
            ...configmaps,
            selector: { namedResources: [{ name: 'x', namespace: 'kube-system' }] },
          },
        ],
      });
      expect(wider.status?.phase).toBe('Failed');
      // Nothing was made for either: no export, no APIServiceNamespace, no service namespace.
      for (const name of ['secrets', 'wider']) {
        await expect(
          new ResourceClient(p.admin, kb.APIServiceExports, p.a.contract).get(name),
        ).rejects.toThrow();
      }
      expect(
        (await new ResourceClient(p.admin, kb.APIServiceNamespaces, p.a.contract).list()).items,
      ).toEqual([]);

      // Exactly what the template offers (what `kubectl bind` sends): granted, in A's own
      // namespaces only.
      const offered = await request(p.a, 'offered', {
        resources: [p.widgets],
        permissionClaims: [configmaps],
        namespaces: [{ name: 'wild' }],
      });
      expect(offered.status?.phase, offered.status?.terminalMessage).toBe('Succeeded');
      const service = await serviceNamespaceOf(p.a, 'wild');
      await eventually('configmaps granted in the service namespace', async () =>
        (await mayI(p.a.as, 'create', service, 'configmaps')) ? true : undefined,
      );
      await new ResourceClient(p.a.as, ConfigMaps, service).list();
      await new ResourceClient(p.a.as, ConfigMaps, p.a.contract).list();
      await sleep(2000);
      // The unoffered claim gave nothing: no secret access beyond the konnector's own read of
      // its contract namespace (its kubeconfig secret), none in the service namespace.
      await noSecretsIn(p.a, [service, 'kube-system', p.b.contract]);
      expect(await mayI(p.a.as, 'create', p.a.contract)).toBe(false);
      expect(await mayI(p.a.as, 'list', '', 'configmaps')).toBe(false);
      await forbidden(new ResourceClient(p.a.as, ConfigMaps).list());
      await forbidden(new ResourceClient(p.a.as, ConfigMaps, 'kube-system').list());
      await forbidden(new ResourceClient(p.a.as, ConfigMaps, p.b.contract).list());
      await kubeSystemUnchanged();
    },
    120_000,
  );
});
