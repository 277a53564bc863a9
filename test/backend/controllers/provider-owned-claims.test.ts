// Issue 17, item 3(b), on the real kube-apiserver: claimed objects flow both ways, so the
// consumer's issued credentials (the `kube-binder` service account of its contract namespace) may
// write claimed resources in its own namespaces — RBAC cannot tell its copies from the provider's
// objects there. The backend's ValidatingAdmissionPolicy (admission-policy.ts) makes the
// `kube-bind.io/owner` label binding: with the serviceexportrequest, servicenamespace and
// serviceexportrbac controllers running and the credentials the provisioner issued, the consumer
// reads the provider's objects, writes and deletes its own, and can neither change nor delete the
// provider's (labelled or not), nor forge one; a copy of its own that the provider relabelled stays
// its own (by provenance); the provider itself is not held back.
import { pino } from 'pino';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ensureKubeBindAPI } from '../../../src/backend/app/kube-bind-api.ts';
import { ConsumerProvisioner, namespaceLookup } from '../../../src/backend/binding/provisioner.ts';
import {
  ensureProviderOwnedClaimsPolicy,
  providerOwnedClaimsPolicy,
  ValidatingAdmissionPolicies,
  ValidatingAdmissionPolicyBindings,
} from '../../../src/backend/controllers/serviceexportrbac/admission-policy.ts';
import { serviceExportRBACController } from '../../../src/backend/controllers/serviceexportrbac/controller.ts';
import { serviceExportRequestController } from '../../../src/backend/controllers/serviceexportrequest/controller.ts';
import { serviceNamespaceController } from '../../../src/backend/controllers/servicenamespace/controller.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { installCRDs } from '../../../src/kube/crds.ts';
import { ForbiddenError } from '../../../src/kube/errors.ts';
import { PatchType } from '../../../src/kube/client.ts';
import { ResourceClient, type KubeObject } from '../../../src/kube/resource.ts';
import {
  ConfigMaps,
  CustomResourceDefinitions,
  Namespaces,
  SelfSubjectAccessReviews,
  Secrets,
  ServiceAccounts,
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

const owner = 'kube-bind.io/owner';

/** A consumer provisioned as the front door does, bound to widgets claiming three kinds. */
async function boundConsumer(): Promise<{
  admin: KubeClient;
  as: KubeClient;
  contract: string;
  service: string;
}> {
  const admin = await kubeAdmin();
  const suffix = uniqueSuffix();
  const group = `owned${suffix}.example.com`;
  const crd = widgetCrd(group);
  crd.metadata = { ...crd.metadata, labels: { 'kube-bind.io/exported': 'true' } };
  await installCRDs(admin, [crd], { fieldManager: 'kube-bind-ts-tests' });
  onTestFinished(async () => {
    await new ResourceClient(admin, CustomResourceDefinitions)
      .delete(`widgets.${group}`)
      .catch(() => undefined);
  });
  const widgets = { group, resource: 'widgets', versions: ['v1'] };
  const claims: kb.PermissionClaim[] = ['secrets', 'configmaps', 'serviceaccounts'].map(
    (resource) => ({
      group: '',
      resource,
      selector: { labelSelector: { matchLabels: { a: 'b' } } },
    }),
  );
  const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
  const template = `owned-${suffix}`;
  await templates.create({
    metadata: { name: template },
    spec: { scope: 'Namespaced', resources: [widgets], permissionClaims: claims },
  });
  onTestFinished(async () => {
    await templates.delete(template).catch(() => undefined);
  });

  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const factory = new SharedInformerFactory({ client: admin, clock: realClock, log: testLogger() });
  const lookup = namespaceLookup(factory.informerFor(Namespaces));
  factory.start();
  onTestFinished(() => factory.stop());
  await factory.waitForSync();
  const prefix = `po${suffix}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const provisioner = new ConsumerProvisioner(
    { namespacePrefix: prefix, prettyName: 'p', server: conn.server, caPem: conn.caPem ?? '' },
    { client: admin, namespacesByIdentity: lookup, clock: realClock, log: testLogger() },
  );
  const { namespace: contract, kubeconfig } = await provisioner.provision({
    identity: `${prefix}consumer`,
    author: 'consumer',
    owner: { issuer: 'https://issuer.test', subject: 'consumer' },
  });
  const as = await clientFromKubeconfig(kubeconfig);
  const events = new ClientEventRecorder({
    client: admin,
    component: 'kube-bind-backend',
    clock: realClock,
    log: testLogger(),
  });
  runControllers(
    admin,
    [
      serviceExportRequestController({
        consumerScope: 'Namespaced',
        isolation: 'Prefixed',
        clock: realClock,
        events,
      }),
      serviceNamespaceController('Prefixed', events),
      serviceExportRBACController('Namespaced'),
    ],
    [contract],
  );
  const requests = new ResourceClient(as, kb.APIServiceExportRequests, contract);
  await requests.create({
    metadata: { name: 'widgets' },
    spec: { resources: [widgets], permissionClaims: claims, namespaces: [{ name: 'app' }] },
  });
  const decided = await eventually('the request to be decided', async () => {
    const r = await requests.get('widgets');
    return r.status?.phase === 'Pending' ? undefined : r;
  });
  expect(decided.status?.phase, decided.status?.terminalMessage).toBe('Succeeded');
  const service = await eventually('the service namespace', async () => {
    const asn = await new ResourceClient(as, kb.APIServiceNamespaces, contract).get('app');
    return asn.status?.namespace || undefined;
  });
  for (const ns of [contract, service]) {
    await eventually(`secrets granted in ${ns}`, async () =>
      (await mayI(as, 'create', 'secrets', ns)) ? true : undefined,
    );
  }
  return { admin, as, contract, service };
}

async function mayI(as: KubeClient, verb: string, resource: string, namespace: string) {
  const review = await new ResourceClient(as, SelfSubjectAccessReviews).create({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb, resource, namespace } },
  });
  return review.status?.allowed ?? false;
}

/** A JSON merge patch applied locally (`null` removes a key). */
function merged(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === 'object' && target !== null ? (target as Record<string, unknown>) : {};
  const entries = Object.entries(patch as Record<string, unknown>);
  const removed = new Set(entries.filter(([, v]) => v === null).map(([k]) => k));
  return Object.fromEntries([
    ...Object.entries(base).filter(([k]) => !removed.has(k) && !(k in patch)),
    ...entries.filter(([, v]) => v !== null).map(([k, v]) => [k, merged(base[k], v)]),
  ]);
}

/** Reads and replaces an object as the konnectors do (update, never patch: RBAC refuses it). */
async function put<T extends KubeObject>(
  client: ResourceClient<T>,
  name: string,
  patch: unknown,
): Promise<T> {
  return client.update(merged(await client.get(name), patch) as T);
}

/** 'ok' or 'Forbidden: <message>' (anything else fails the test). */
async function outcome(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
    return 'ok';
  } catch (err) {
    if (err instanceof ForbiddenError) return 'Forbidden';
    throw err;
  }
}

describe('provider-owned claimed objects on the provider', () => {
  it('the policy is the backend’s and applies idempotently', async () => {
    const admin = await kubeAdmin();
    // The backend applies it at start, with the CRDs.
    await ensureKubeBindAPI(admin, { install: true, log: testLogger() });
    const binding = await new ResourceClient(admin, ValidatingAdmissionPolicyBindings).get(
      providerOwnedClaimsPolicy().binding.metadata?.name ?? '',
    );
    expect(binding.spec).toEqual({
      policyName: 'kube-bind-provider-owned-claims',
      validationActions: ['Deny'],
    });
    expect(await ensureProviderOwnedClaimsPolicy(admin, testLogger())).toBe(true);
    expect(await ensureProviderOwnedClaimsPolicy(admin, testLogger())).toBe(true);
    const live = await new ResourceClient(admin, ValidatingAdmissionPolicies).get(
      providerOwnedClaimsPolicy().policy.metadata?.name ?? '',
    );
    expect(live.spec?.validations).toHaveLength(4);
  });

  it('without the rights to apply it, the backend warns and goes on', async () => {
    const { as } = await boundConsumer();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    expect(await ensureProviderOwnedClaimsPolicy(as, log)).toBe(false);
    expect(lines.join('')).toContain('cannot apply the ValidatingAdmissionPolicy');
  });

  it('the consumer reads them and writes only its own', async () => {
    const { admin, as, contract, service } = await boundConsumer();
    await ensureProviderOwnedClaimsPolicy(admin, testLogger());
    const provider = new ResourceClient(admin, Secrets, service);
    const consumer = new ResourceClient(as, Secrets, service);
    const data = (v: string) => ({ v: Buffer.from(v).toString('base64') });

    // RBAC alone: the consumer reads and writes the claimed kinds in its own namespaces only,
    // with the verbs the konnectors use (no patch, no deletecollection).
    const verbs = [
      'get',
      'list',
      'watch',
      'create',
      'update',
      'delete',
      'patch',
      'deletecollection',
    ];
    const where = { contract, service, elsewhere: 'default' };
    const rbac: Record<string, boolean> = {};
    const expected: Record<string, boolean> = {};
    for (const [place, ns] of Object.entries(where)) {
      for (const verb of verbs) {
        rbac[`${verb} ${place}`] = await mayI(as, verb, 'secrets', ns);
        expected[`${verb} ${place}`] =
          place !== 'elsewhere' && verb !== 'patch' && verb !== 'deletecollection';
      }
    }
    expect(rbac).toEqual(expected);
    expect(Object.values(expected).filter(Boolean)).toHaveLength(12);

    // The provider's: one labelled, one never synced (no owner label).
    await provider.create({
      metadata: { name: 'issued', labels: { [owner]: 'provider' } },
      data: data('cert'),
    });
    await provider.create({ metadata: { name: 'own' }, data: data('provider') });
    // The policy reaches the apiserver's admission through an informer: wait for a first denial.
    await eventually('the policy to be in force', async () =>
      (await outcome(consumer.delete('issued'))) === 'Forbidden' ? true : undefined,
    );

    const results = {
      readLabelled: (await consumer.get('issued')).data?.['v'] === data('cert')['v'],
      listed: (await consumer.list()).items.map((s) => s.metadata?.name).sort(),
      updateLabelled: await outcome(put(consumer, 'issued', { data: data('forged') })),
      relabelLabelled: await outcome(
        put(consumer, 'issued', {
          metadata: { labels: { [owner]: 'consumer' } },
        }),
      ),
      unlabelLabelled: await outcome(
        put(consumer, 'issued', { metadata: { labels: { [owner]: null } } }),
      ),
      deleteLabelled: await outcome(consumer.delete('issued')),
      updateUnlabelled: await outcome(put(consumer, 'own', { data: data('forged') })),
      // Claiming it for itself is a content-preserving change too, and refused.
      claimUnlabelled: await outcome(
        put(consumer, 'own', { metadata: { labels: { [owner]: 'consumer' } } }),
      ),
      markAndChangeUnlabelled: await outcome(
        put(consumer, 'own', {
          metadata: { labels: { [owner]: 'provider' } },
          data: data('forged'),
        }),
      ),
      deleteUnlabelled: await outcome(consumer.delete('own')),
      // What upstream's konnector does before copying a provider object: mark it, nothing else.
      markUnlabelled: await outcome(
        put(consumer, 'own', { metadata: { labels: { [owner]: 'provider' } } }),
      ),
      updateMarked: await outcome(put(consumer, 'own', { data: data('forged') })),
      forge: await outcome(
        consumer.create({
          metadata: { name: 'forged', labels: { [owner]: 'provider' } },
          data: data('forged'),
        }),
      ),
      // The consumer's own copies: created, updated, deleted.
      createOwn: await outcome(
        consumer.create({
          metadata: { name: 'mine', labels: { [owner]: 'consumer' } },
          data: data('1'),
        }),
      ),
      updateOwn: await outcome(put(consumer, 'mine', { data: data('2') })),
      // RBAC: no patch, even of its own.
      patchOwn: await outcome(consumer.patch('mine', PatchType.merge, { data: data('3') })),
      deleteOwn: await outcome(consumer.delete('mine')),
      // Handing one over (the owner relabels): then it is the provider's.
      createHanded: await outcome(
        consumer.create({
          metadata: { name: 'handed', labels: { [owner]: 'consumer' } },
          data: data('1'),
        }),
      ),
      handOver: await outcome(
        put(consumer, 'handed', {
          metadata: { labels: { [owner]: 'provider' } },
        }),
      ),
      deleteHanded: await outcome(consumer.delete('handed')),
      // The provider itself is never held back.
      providerUpdates: await outcome(
        provider.patch('issued', PatchType.merge, { data: data('2') }),
      ),
      providerDeletes: await outcome(provider.delete('own')),
    };
    expect(results).toEqual({
      readLabelled: true,
      listed: ['issued', 'own'],
      updateLabelled: 'Forbidden',
      relabelLabelled: 'Forbidden',
      unlabelLabelled: 'Forbidden',
      deleteLabelled: 'Forbidden',
      updateUnlabelled: 'Forbidden',
      claimUnlabelled: 'Forbidden',
      markAndChangeUnlabelled: 'Forbidden',
      deleteUnlabelled: 'Forbidden',
      markUnlabelled: 'ok',
      updateMarked: 'Forbidden',
      forge: 'Forbidden',
      createOwn: 'ok',
      updateOwn: 'ok',
      patchOwn: 'Forbidden',
      deleteOwn: 'ok',
      createHanded: 'ok',
      handOver: 'ok',
      deleteHanded: 'Forbidden',
      providerUpdates: 'ok',
      providerDeletes: 'ok',
    });
    expect((await provider.get('issued')).data).toEqual(data('2'));

    // A copy of the consumer's own (its provenance names this contract namespace) stays its own
    // when the provider relabels it: the konnector overwrites it back and deletes it on unbinding.
    // Provenance naming another consumer's contract namespace gives nothing.
    const provenance = (clusterNamespace: string) => ({
      'kube-bind.io/cluster-namespace': clusterNamespace,
      'kube-bind.io/consumer-namespace': 'app',
      'kube-bind.io/consumer-uid': '0a4f54c4-5c3b-4c5e-9d3e-1f2a3b4c5d6e',
    });
    await consumer.create({
      metadata: {
        name: 'copy',
        labels: { [owner]: 'consumer' },
        annotations: provenance(contract),
      },
      data: data('1'),
    });
    await provider.patch('copy', PatchType.merge, {
      metadata: { labels: { [owner]: 'provider' } },
    });
    await provider.create({
      metadata: {
        name: 'theirs',
        labels: { [owner]: 'provider' },
        annotations: provenance(`${contract}-other`),
      },
      data: data('1'),
    });
    const copies = {
      overwriteRelabelledCopy: await outcome(
        put(consumer, 'copy', { metadata: { labels: { [owner]: 'consumer' } }, data: data('2') }),
      ),
      relabelledAgain: await outcome(
        provider.patch('copy', PatchType.merge, { metadata: { labels: { [owner]: null } } }),
      ),
      overwriteUnlabelledCopy: await outcome(
        put(consumer, 'copy', { metadata: { labels: { [owner]: 'consumer' } } }),
      ),
      takenOver: await outcome(
        provider.patch('copy', PatchType.merge, { metadata: { labels: { [owner]: 'provider' } } }),
      ),
      deleteRelabelledCopy: await outcome(consumer.delete('copy')),
      updateOthersCopy: await outcome(put(consumer, 'theirs', { data: data('2') })),
      deleteOthersCopy: await outcome(consumer.delete('theirs')),
    };
    expect(copies).toEqual({
      overwriteRelabelledCopy: 'ok',
      relabelledAgain: 'ok',
      overwriteUnlabelledCopy: 'ok',
      takenOver: 'ok',
      deleteRelabelledCopy: 'ok',
      updateOthersCopy: 'Forbidden',
      deleteOthersCopy: 'Forbidden',
    });

    // ConfigMaps and ServiceAccounts, in the contract namespace too.
    const cms = new ResourceClient(admin, ConfigMaps, contract);
    await cms.create({
      metadata: { name: 'endpoint', labels: { [owner]: 'provider' } },
      data: { url: 'x' },
    });
    const sas = new ResourceClient(admin, ServiceAccounts, service);
    await sas.create({ metadata: { name: 'runner', labels: { [owner]: 'provider' } } });
    const kinds = {
      configmap: await outcome(
        put(new ResourceClient(as, ConfigMaps, contract), 'endpoint', {
          data: { url: 'evil' },
        }),
      ),
      serviceaccount: await outcome(
        put(new ResourceClient(as, ServiceAccounts, service), 'runner', {
          automountServiceAccountToken: true,
        }),
      ),
      serviceaccountDelete: await outcome(
        new ResourceClient(as, ServiceAccounts, service).delete('runner'),
      ),
    };
    expect(kinds).toEqual({
      configmap: 'Forbidden',
      serviceaccount: 'Forbidden',
      serviceaccountDelete: 'Forbidden',
    });
  });
});
