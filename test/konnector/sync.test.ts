// The konnector against real clusters: the shared kube-apiserver is the provider (front door in
// process with the embedded issuer, the backend's controllers for one contract namespace), a
// private kube-apiserver with kube-controller-manager is the consumer. `kubectl bind apiservice
// --skip-konnector` binds; bin/konnector syncs.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, Sheriffs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { PatchType, type KubeClient } from '../../src/kube/client.ts';
import { ignoreAlreadyExists, ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ConfigMaps,
  CustomResourceDefinitions,
  Leases,
  Namespaces,
  Secrets,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import {
  allowToBind,
  controllersFor,
  cowboysTemplate,
  followUntil,
  frontDoor,
} from '../backend/http/front-door.ts';
import { deleteNamespacesAfterTest } from '../harness/consumers.ts';
import {
  clientFor,
  controlPlane,
  eventually,
  kubeAdmin,
  uniqueSuffix,
} from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { startKonnector, type KonnectorUnderTest } from '../harness/konnector.ts';
import { kubectlBind, run } from '../kubectl-bind/run.ts';

let consumerCluster: KubeCluster;
let dir: string;

beforeAll(ensureKubeBindCRDs);
beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'konnector-'));
  consumerCluster = await startKubeCluster({ name: 'consumer', baseDir: dir });
}, 120_000);
afterAll(async () => {
  await consumerCluster.stop();
});

async function providerWithLogin(
  extra: Partial<kb.APIServiceExportTemplateSpec> = {},
  flags: readonly string[] = [],
) {
  const admin = await kubeAdmin();
  const prefix = `kn${uniqueSuffix()}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`, ...flags]);
  await allowToBind(admin, { kind: 'User', name: door.user });
  const template = await cowboysTemplate(admin, extra);
  const identity = randomUUID();
  const contractNamespace = await controllersFor(admin, door, identity);
  const home = mkdtempSync(join(dir, 'home-'));
  const login = kubectlBind(home, ['login', door.origin, '--skip-browser']);
  const authorize = await login.printedUrl(/\/api\/authorize\?/);
  const back = await followUntil(authorize.href, authorize.searchParams.get('redirect_url') ?? '');
  expect((await fetch(back)).status).toBe(200);
  expect(await login.exited).toBe(0);
  await eventually('the template to be listed', async () => {
    const r = await run(home, ['templates']);
    return r.code === 0 && r.stdout.includes(template) ? true : undefined;
  });
  return { admin, template, identity, contractNamespace, home };
}

async function bind(p: Awaited<ReturnType<typeof providerWithLogin>>, name: string) {
  const bound = await run(
    p.home,
    [
      'apiservice',
      '--template-name',
      p.template,
      '--name',
      name,
      '--cluster-identity',
      p.identity,
      '--skip-konnector',
    ],
    { KUBECONFIG: consumerCluster.adminKubeconfigPath },
  );
  expect(bound.code, bound.stderr).toBe(0);
}

async function waitReady(consumer: KubeClient, name: string): Promise<void> {
  const bindings = new ResourceClient(consumer, kb.APIServiceBindings);
  await eventually(
    `binding ${name} to be Ready`,
    async () => {
      const b = await bindings.get(name);
      if (condition(b, 'Ready') === 'True') return true;
      // Say which condition holds it back when this times out.
      const failing = (b.status?.conditions ?? []).filter((c) => c.status !== 'True');
      throw new Error(failing.map((c) => `${c.type}: ${c.message ?? ''}`).join('; '));
    },
    { timeoutMs: 60_000 },
  );
}

/** Unbinds while the test's konnector still runs, so the next test can bind the same CRD. */
async function unbind(name: string, crd: string): Promise<void> {
  const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
  await new ResourceClient(consumer, kb.APIServiceBindings).delete(name);
  await eventually(
    `binding ${name} and CRD ${crd} to be gone`,
    async () =>
      (await ignoreNotFound(new ResourceClient(consumer, kb.APIServiceBindings).get(name))) ===
        undefined &&
      (await ignoreNotFound(new ResourceClient(consumer, CustomResourceDefinitions).get(crd))) ===
        undefined
        ? true
        : undefined,
    { timeoutMs: 60_000 },
  );
}

const condition = (
  obj: { status?: { conditions?: { type: string; status: string }[] } },
  t: string,
) => obj.status?.conditions?.find((c) => c.type === t)?.status;

describe('konnector', () => {
  it('installs the CRD, syncs spec to the provider and status back, and releases on unbind', async () => {
    const p = await providerWithLogin();
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({ kubeconfig: consumerCluster.adminKubeconfigPath, logDir: dir });
    const name = `cowboys-${uniqueSuffix()}`;
    await bind(p, name);

    const bindings = new ResourceClient(consumer, kb.APIServiceBindings);
    await waitReady(consumer, name);
    const ready = await bindings.get(name);
    expect(ready.status?.boundSchemas).toEqual([{ group: 'wildwest.dev', resource: 'cowboys' }]);
    const crd = await new ResourceClient(consumer, CustomResourceDefinitions).get(
      'cowboys.wildwest.dev',
    );
    expect(crd.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'APIServiceBinding', name });

    // On the provider: heartbeat, version and consumer secret in the ClusterBinding; the export
    // and BoundSchema report the consumer.
    const clusterBinding = await new ResourceClient(
      p.admin,
      kb.ClusterBindings,
      p.contractNamespace,
    ).get('cluster');
    expect(clusterBinding.status).toMatchObject({
      heartbeatInterval: '5m0s',
      konnectorVersion: 'v0.8.1',
    });
    expect(clusterBinding.status?.lastHeartbeatTime).toBeTruthy();
    await eventually('the export to say Connected and ConsumerInSync', async () => {
      const e = await new ResourceClient(p.admin, kb.APIServiceExports, p.contractNamespace).get(
        name,
      );
      return condition(e, 'Connected') === 'True' && condition(e, 'ConsumerInSync') === 'True'
        ? true
        : undefined;
    });

    // Spec consumer → provider, in the provider namespace of the consumer namespace.
    await new ResourceClient(consumer, Namespaces).create({ metadata: { name: 'wild-west' } });
    const cowboys = new ResourceClient(consumer, Cowboys, 'wild-west');
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'joe', labels: { ride: 'west' } },
      spec: { intent: 'ride', horse: 'silver' },
    });
    const providerNamespace = `${p.contractNamespace}-wild-west`;
    const upstream = new ResourceClient(p.admin, Cowboys, providerNamespace);
    const copy = await eventually(
      'the cowboy on the provider',
      () => ignoreNotFound(upstream.get('joe')),
      {
        timeoutMs: 30_000,
      },
    );
    expect(copy.spec).toEqual({ intent: 'ride', horse: 'silver' });
    expect(copy.metadata?.annotations).toMatchObject({
      'kube-bind.io/cluster-namespace': p.contractNamespace,
      'kube-bind.io/consumer-namespace': 'wild-west',
    });

    // Status provider → consumer.
    await upstream.patch(
      'joe',
      PatchType.merge,
      { status: { result: 'rode west' } },
      { subresource: 'status' },
    );
    const mirrored = await eventually('the status on the consumer', async () => {
      const c = await cowboys.get('joe');
      return c.status?.result === 'rode west' ? c : undefined;
    });
    expect(mirrored.metadata?.finalizers).toContain('kubebind.io/syncer');
    expect(mirrored.metadata?.annotations).toMatchObject({
      'kube-bind.io/provider-namespace': providerNamespace,
      'kube-bind.io/provider-uid': copy.metadata?.uid,
    });

    // Updates and deletes propagate.
    await cowboys.patch('joe', PatchType.merge, { spec: { intent: 'rest' } });
    await eventually('the new intent on the provider', async () =>
      (await upstream.get('joe')).spec?.intent === 'rest' ? true : undefined,
    );
    await cowboys.delete('joe');
    await eventually('the provider copy to be gone', async () =>
      (await ignoreNotFound(upstream.get('joe'))) === undefined ? true : undefined,
    );
    await eventually('the consumer cowboy to be gone', async () =>
      (await ignoreNotFound(cowboys.get('joe'))) === undefined ? true : undefined,
    );

    // Unbinding: provider copies go, then the binding, its CRD and the consumer objects.
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'jim' },
      spec: { intent: 'stay' },
    });
    await eventually('jim on the provider', () => ignoreNotFound(upstream.get('jim')));
    await bindings.delete(name);
    await eventually('jim to be gone from the provider', async () =>
      (await ignoreNotFound(upstream.get('jim'))) === undefined ? true : undefined,
    );
    await eventually(
      'the binding and its CRD to be gone from the consumer',
      async () =>
        (await ignoreNotFound(bindings.get(name))) === undefined &&
        (await ignoreNotFound(
          new ResourceClient(consumer, CustomResourceDefinitions).get('cowboys.wildwest.dev'),
        )) === undefined
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
  });

  // Claims are granted per namespace under either consumer scope, so they are watched so too.
  it.each(['Namespaced', 'Cluster'])(
    'syncs a claimed secret a cowboy references, and drops it when no longer referenced (--consumer-scope=%s)',
    async (consumerScope) => {
      const p = await providerWithLogin(
        {
          resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
          permissionClaims: [
            {
              group: '',
              resource: 'secrets',
              selector: {
                references: [
                  {
                    group: 'wildwest.dev',
                    resource: 'cowboys',
                    jsonPath: { name: 'spec.secretRefs.#.name' },
                  },
                ],
              },
            },
          ],
        },
        [`--consumer-scope=${consumerScope}`],
      );
      const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
      await startKonnector({
        kubeconfig: consumerCluster.adminKubeconfigPath,
        logDir: dir,
        name: `konnector-claims-${consumerScope.toLowerCase()}`,
      });
      const name = `claims-${uniqueSuffix()}`;
      await bind(p, name);
      await waitReady(consumer, name);
      const ns = `dodge-${uniqueSuffix()}`;
      await new ResourceClient(consumer, Namespaces).create({ metadata: { name: ns } });
      const secrets = new ResourceClient(consumer, Secrets, ns);
      await secrets.create({ metadata: { name: 'colt' }, stringData: { bullets: '6' } });
      await secrets.create({ metadata: { name: 'unrelated' }, stringData: { x: 'y' } });
      await new ResourceClient(consumer, Cowboys, ns).create({
        apiVersion: 'wildwest.dev/v1alpha1',
        kind: 'Cowboy',
        metadata: { name: 'wyatt' },
        spec: { intent: 'ride', secretRefs: [{ name: 'colt' }] },
      });
      const providerSecrets = new ResourceClient(p.admin, Secrets, `${p.contractNamespace}-${ns}`);
      const copy = await eventually('the claimed secret on the provider', () =>
        ignoreNotFound(providerSecrets.get('colt')),
      );
      expect(Buffer.from(copy.data?.['bullets'] ?? '', 'base64').toString()).toBe('6');
      expect(copy.metadata?.labels).toMatchObject({ 'kube-bind.io/owner': 'consumer' });
      expect(await ignoreNotFound(providerSecrets.get('unrelated'))).toBeUndefined();

      // A changed secret follows; one no longer referenced is removed from the provider.
      await secrets.patch('colt', PatchType.merge, { stringData: { bullets: '5' } });
      await eventually('the new data on the provider', async () => {
        const s = await providerSecrets.get('colt');
        return Buffer.from(s.data?.['bullets'] ?? '', 'base64').toString() === '5'
          ? true
          : undefined;
      });
      await new ResourceClient(consumer, Cowboys, ns).patch('wyatt', PatchType.merge, {
        spec: { secretRefs: [] },
      });
      await eventually('the unreferenced secret to leave the provider', async () =>
        (await ignoreNotFound(providerSecrets.get('colt'))) === undefined ? true : undefined,
      );
      await unbind(name, 'cowboys.wildwest.dev');
    },
  );

  // Issue 17: claimed objects flow both ways. The test plays the provider's controller: it reads
  // the cowboy's copy on the provider and writes the Secret the cowboy names, and a ConfigMap
  // selected by label, into the service namespace; the konnector copies them to the consumer.
  it.each(['Prefixed', 'None', 'Namespaced'])(
    'delivers provider-owned claimed objects to the consumer, both ways by owner (isolation %s)',
    async (isolation) => {
      const saloon = `saloon-${uniqueSuffix()}`;
      const clusterScoped = isolation === 'Namespaced';
      const endpointLabel = { 'wildwest.dev/endpoint': 'true' };
      const p = await providerWithLogin(
        {
          // The provider pre-seeds the namespace: its APIServiceNamespace and the consumer
          // namespace exist before any consumer object does.
          namespaces: [{ name: saloon }],
          permissionClaims: [
            {
              group: '',
              resource: 'secrets',
              selector: {
                references: [
                  {
                    group: 'wildwest.dev',
                    resource: 'cowboys',
                    // Cluster-scoped cowboys (isolation Namespaced) say where their secrets are.
                    jsonPath: {
                      name: 'spec.secretRefs.#.name',
                      ...(clusterScoped && { namespace: 'metadata.annotations.secrets' }),
                    },
                  },
                ],
              },
            },
            {
              group: '',
              resource: 'configmaps',
              selector: { labelSelector: { matchLabels: endpointLabel } },
            },
            {
              group: '',
              resource: 'serviceaccounts',
              selector: {
                namedResources: [
                  { name: 'deputy', namespace: saloon },
                  { name: 'posse', namespace: saloon },
                ],
              },
            },
          ],
        },
        [`--isolation=${isolation}`],
      );
      const admin = p.admin;
      const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
      const providerNs = isolation === 'None' ? saloon : `${p.contractNamespace}-${saloon}`;
      if (isolation === 'None') {
        onTestFinished(async () => {
          await new ResourceClient(admin, Namespaces).delete(saloon).catch(() => undefined);
        });
      }
      const konnectorName = `konnector-owned-${isolation.toLowerCase()}`;
      let konnector = await startKonnector({
        kubeconfig: consumerCluster.adminKubeconfigPath,
        logDir: dir,
        name: konnectorName,
        stopWhenTestEnds: false,
      });
      onTestFinished(() => konnector.stop());
      const name = `owned-${uniqueSuffix()}`;
      await bind(p, name);
      await waitReady(consumer, name);
      await eventually('the pre-seeded namespace on the consumer', () =>
        ignoreNotFound(new ResourceClient(consumer, Namespaces).get(saloon)),
      );

      // A cowboy that needs the secret "colt", which only the provider writes.
      const cowboy = {
        apiVersion: 'wildwest.dev/v1alpha1',
        kind: 'Cowboy',
        metadata: {
          name: 'wyatt',
          ...(clusterScoped && { annotations: { secrets: saloon } }),
        },
        spec: { intent: 'ride', secretRefs: [{ name: 'colt' }] },
      };
      const cowboys = clusterScoped
        ? new ResourceClient(consumer, { ...Cowboys, namespaced: false })
        : new ResourceClient(consumer, Cowboys, saloon);
      await cowboys.create(cowboy);
      const providerCowboys = clusterScoped
        ? new ResourceClient(admin, Cowboys, p.contractNamespace)
        : new ResourceClient(admin, Cowboys, providerNs);
      const copy = await eventually('the cowboy on the provider', () =>
        ignoreNotFound(providerCowboys.get('wyatt')),
      );

      // The provider's controller: the secret its cowboy names, and an endpoint ConfigMap.
      const pSecrets = new ResourceClient(admin, Secrets, providerNs);
      const pConfigMaps = new ResourceClient(admin, ConfigMaps, providerNs);
      const secretName = copy.spec?.secretRefs?.[0]?.name ?? '';
      expect(secretName).toBe('colt');
      const pSecret = await pSecrets.create({
        metadata: { name: secretName },
        stringData: { password: 'one' },
      });
      await pConfigMaps.create({
        metadata: { name: 'endpoint', labels: endpointLabel },
        data: { url: 'https://saloon.example' },
      });
      await pConfigMaps.create({ metadata: { name: 'private' }, data: { x: 'y' } });

      const cSecrets = new ResourceClient(consumer, Secrets, saloon);
      const cConfigMaps = new ResourceClient(consumer, ConfigMaps, saloon);
      const text = (s: { data?: Record<string, string> } | undefined, k: string) =>
        Buffer.from(s?.data?.[k] ?? '', 'base64').toString();
      const secretIs = (value: string) => async () => {
        const s = await ignoreNotFound(cSecrets.get(secretName));
        return text(s, 'password') === value ? s : undefined;
      };
      const consumerSecret = await eventually(
        'the provider’s secret on the consumer',
        secretIs('one'),
      );
      expect(consumerSecret.metadata?.labels).toMatchObject({ 'kube-bind.io/owner': 'provider' });
      expect(consumerSecret.metadata?.annotations).toMatchObject({
        'kube-bind.io/provider-namespace': providerNs,
        'kube-bind.io/provider-uid': pSecret.metadata?.uid,
      });
      const endpoint = await eventually('the endpoint ConfigMap on the consumer', () =>
        ignoreNotFound(cConfigMaps.get('endpoint')),
      );
      expect(endpoint.data).toEqual({ url: 'https://saloon.example' });
      expect(endpoint.metadata?.labels).toEqual({
        ...endpointLabel,
        'kube-bind.io/owner': 'provider',
      });
      expect(await ignoreNotFound(cConfigMaps.get('private'))).toBeUndefined();

      // By name, both ways: the provider's ServiceAccount "deputy" and the consumer's "posse".
      const pAccounts = new ResourceClient(admin, ServiceAccounts, providerNs);
      const cAccounts = new ResourceClient(consumer, ServiceAccounts, saloon);
      await pAccounts.create({ metadata: { name: 'deputy' }, automountServiceAccountToken: false });
      await cAccounts.create({ metadata: { name: 'posse' } });
      await cAccounts.create({ metadata: { name: 'outlaw' } });
      const deputy = await eventually('the provider’s ServiceAccount on the consumer', () =>
        ignoreNotFound(cAccounts.get('deputy')),
      );
      expect(deputy.automountServiceAccountToken).toBe(false);
      expect(deputy.metadata?.labels).toEqual({ 'kube-bind.io/owner': 'provider' });
      const posse = await eventually('the consumer’s ServiceAccount on the provider', () =>
        ignoreNotFound(pAccounts.get('posse')),
      );
      expect(posse.metadata?.labels).toEqual({ 'kube-bind.io/owner': 'consumer' });
      expect(await ignoreNotFound(pAccounts.get('outlaw'))).toBeUndefined();

      // Updates follow the owner; an edit of the copy on the consumer is overwritten. A secret
      // nobody references stays on the provider.
      await pSecrets.create({ metadata: { name: 'winchester' }, stringData: { rounds: '15' } });
      await pSecrets.patch(secretName, PatchType.merge, { stringData: { password: 'two' } });
      await eventually('the provider’s update on the consumer', secretIs('two'));
      expect(await ignoreNotFound(cSecrets.get('winchester'))).toBeUndefined();
      // Referenced later, it follows; no longer referenced, its copy goes.
      const refs = (names: string[]) => ({ spec: { secretRefs: names.map((n) => ({ name: n })) } });
      await cowboys.patch('wyatt', PatchType.merge, refs([secretName, 'winchester']));
      await eventually('the newly referenced secret on the consumer', () =>
        ignoreNotFound(cSecrets.get('winchester')),
      );
      await cowboys.patch('wyatt', PatchType.merge, refs([secretName]));
      await eventually('the no longer referenced secret to leave the consumer', async () =>
        (await ignoreNotFound(cSecrets.get('winchester'))) === undefined ? true : undefined,
      );
      expect(await pSecrets.get('winchester')).toBeTruthy();
      await cSecrets.patch(secretName, PatchType.merge, { stringData: { password: 'mine' } });
      await eventually('the consumer’s edit to be overwritten', secretIs('two'));

      // Deletes follow the owner.
      await pConfigMaps.delete('endpoint');
      await eventually('the endpoint copy to leave the consumer', async () =>
        (await ignoreNotFound(cConfigMaps.get('endpoint'))) === undefined ? true : undefined,
      );

      // Changes while the konnector is down arrive after it restarts.
      await konnector.stop();
      await pSecrets.patch(secretName, PatchType.merge, { stringData: { password: 'three' } });
      await pConfigMaps.create({
        metadata: { name: 'endpoint', labels: endpointLabel },
        data: { url: 'https://saloon-2.example' },
      });
      await pConfigMaps.create({ metadata: { name: 'doomed', labels: endpointLabel } });
      konnector = await startKonnector({
        kubeconfig: consumerCluster.adminKubeconfigPath,
        logDir: dir,
        name: `${konnectorName}-2`,
        stopWhenTestEnds: false,
      });
      await eventually('the update made while down', secretIs('three'));
      await eventually('the ConfigMap created while down', async () =>
        (await ignoreNotFound(cConfigMaps.get('endpoint')))?.data?.['url'] ===
        'https://saloon-2.example'
          ? true
          : undefined,
      );
      await eventually('doomed on the consumer', () => ignoreNotFound(cConfigMaps.get('doomed')));
      await konnector.stop();
      await pConfigMaps.delete('doomed');
      konnector = await startKonnector({
        kubeconfig: consumerCluster.adminKubeconfigPath,
        logDir: dir,
        name: `${konnectorName}-3`,
        stopWhenTestEnds: false,
      });
      await eventually('the copy of a ConfigMap deleted while down to go', async () =>
        (await ignoreNotFound(cConfigMaps.get('doomed'))) === undefined ? true : undefined,
      );

      // Ownership provider → consumer: the provider relabels its secret.
      await pSecrets.patch(secretName, PatchType.merge, {
        metadata: { labels: { 'kube-bind.io/owner': 'consumer' } },
      });
      const handedOver = await eventually('the consumer’s secret to be its own', async () => {
        const s = await cSecrets.get(secretName);
        return s.metadata?.labels?.['kube-bind.io/owner'] === 'consumer' &&
          !s.metadata.annotations?.['kube-bind.io/provider-uid']
          ? s
          : undefined;
      });
      await eventually('the provider’s secret to be the consumer’s copy', async () => {
        const s = await pSecrets.get(secretName);
        return s.metadata?.annotations?.['kube-bind.io/consumer-uid'] === handedOver.metadata?.uid
          ? true
          : undefined;
      });
      await cSecrets.patch(secretName, PatchType.merge, { stringData: { password: 'four' } });
      await eventually('the consumer’s change on the provider', async () =>
        text(await pSecrets.get(secretName), 'password') === 'four' ? true : undefined,
      );

      // Ownership consumer → provider: the consumer relabels it back.
      await cSecrets.patch(secretName, PatchType.merge, {
        metadata: { labels: { 'kube-bind.io/owner': 'provider' } },
      });
      await eventually('the provider’s secret to be its own again', async () => {
        const s = await pSecrets.get(secretName);
        return s.metadata?.labels?.['kube-bind.io/owner'] === 'provider' &&
          !s.metadata.annotations?.['kube-bind.io/consumer-uid']
          ? true
          : undefined;
      });
      await pSecrets.patch(secretName, PatchType.merge, { stringData: { password: 'five' } });
      await eventually('the provider’s change on the consumer again', secretIs('five'));

      // A consumer-owned ConfigMap selected by the same label goes to the provider.
      await cConfigMaps.create({
        metadata: { name: 'menu', labels: endpointLabel },
        data: { a: 'b' },
      });
      await eventually('the consumer’s ConfigMap on the provider', () =>
        ignoreNotFound(pConfigMaps.get('menu')),
      );

      // Unbinding removes the copies on the side that does not own them, and only those.
      await unbind(name, 'cowboys.wildwest.dev');
      await eventually('the copies to be gone', async () =>
        (await ignoreNotFound(cSecrets.get(secretName))) === undefined &&
        (await ignoreNotFound(cConfigMaps.get('endpoint'))) === undefined &&
        (await ignoreNotFound(pConfigMaps.get('menu'))) === undefined &&
        (await ignoreNotFound(cAccounts.get('deputy'))) === undefined &&
        (await ignoreNotFound(pAccounts.get('posse'))) === undefined
          ? true
          : undefined,
      );
      expect(text(await pSecrets.get(secretName), 'password')).toBe('five');
      expect((await pConfigMaps.get('endpoint')).data).toEqual({ url: 'https://saloon-2.example' });
      expect((await cConfigMaps.get('menu')).data).toEqual({ a: 'b' });
      expect(await pAccounts.get('deputy')).toBeTruthy();
      expect(await cAccounts.get('posse')).toBeTruthy();
    },
  );

  // Issue 17: the API requests one claimed object costs, counted by the konnector's own client
  // metrics (both clusters): every read comes from the informers' caches.
  it('spends one write per claimed object and change, and no reads', async () => {
    const saloon = `saloon-${uniqueSuffix()}`;
    const label = { 'wildwest.dev/bill': 'true' };
    const byLabel = { labelSelector: { matchLabels: label } };
    const p = await providerWithLogin({
      namespaces: [{ name: saloon }],
      permissionClaims: [
        { group: '', resource: 'secrets', selector: byLabel },
        { group: '', resource: 'configmaps', selector: byLabel },
      ],
    });
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    const k = await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-requests',
    });
    const name = `requests-${uniqueSuffix()}`;
    await bind(p, name);
    await waitReady(consumer, name);
    await eventually('the pre-seeded namespace on the consumer', () =>
      ignoreNotFound(new ResourceClient(consumer, Namespaces).get(saloon)),
    );
    const providerNs = `${p.contractNamespace}-${saloon}`;
    const pSecrets = new ResourceClient(p.admin, Secrets, providerNs);
    const cSecrets = new ResourceClient(consumer, Secrets, saloon);
    const cConfigMaps = new ResourceClient(consumer, ConfigMaps, saloon);
    const pConfigMaps = new ResourceClient(p.admin, ConfigMaps, providerNs);
    const n = 40;
    const names = Array.from({ length: n }, (_, i) => `bill-${i}`);
    type Listed = { metadata?: { name?: string }; data?: Record<string, string> };
    const ours = (o: Listed) => !!o.metadata?.name?.startsWith('bill-');
    const count = async (
      list: () => Promise<{ items: Listed[] }>,
      want: (d?: Record<string, string>) => boolean,
    ) => (await list()).items.filter((o) => ours(o) && want(o.data)).length;
    const settled = (
      what: string,
      list: () => Promise<{ items: Listed[] }>,
      want: (d?: Record<string, string>) => boolean,
      expected = n,
    ) =>
      eventually(what, async () => ((await count(list, want)) === expected ? true : undefined), {
        timeoutMs: 60_000,
      });
    const any = () => true;
    const measure = async (step: () => Promise<void>) => {
      const before = await clientRequests(k.port);
      await step();
      const after = await clientRequests(k.port);
      return {
        reads: (after.reads - before.reads) / n,
        writes: (after.writes - before.writes) / n,
      };
    };

    const providerToConsumer = {
      create: await measure(async () => {
        for (const s of names) {
          await pSecrets.create({ metadata: { name: s, labels: label }, stringData: { v: '1' } });
        }
        await settled('the secrets on the consumer', () => cSecrets.list(), any);
      }),
      update: await measure(async () => {
        for (const s of names) {
          await pSecrets.patch(s, PatchType.merge, { stringData: { v: '2' } });
        }
        await settled(
          'the updates on the consumer',
          () => cSecrets.list(),
          (d) => d?.['v'] === 'Mg==',
        );
      }),
      delete: await measure(async () => {
        for (const s of names) await pSecrets.delete(s);
        await settled('the copies gone', () => cSecrets.list(), any, 0);
      }),
    };
    const consumerToProvider = {
      create: await measure(async () => {
        for (const c of names) {
          await cConfigMaps.create({ metadata: { name: c, labels: label }, data: { v: '1' } });
        }
        await settled('the ConfigMaps on the provider', () => pConfigMaps.list(), any);
      }),
      update: await measure(async () => {
        for (const c of names) await cConfigMaps.patch(c, PatchType.merge, { data: { v: '2' } });
        await settled(
          'the updates on the provider',
          () => pConfigMaps.list(),
          (d) => d?.['v'] === '2',
        );
      }),
      delete: await measure(async () => {
        for (const c of names) await cConfigMaps.delete(c);
        await settled('the provider copies gone', () => pConfigMaps.list(), any, 0);
      }),
    };
    console.log(JSON.stringify({ providerToConsumer, consumerToProvider }));
    for (const m of [...Object.values(providerToConsumer), ...Object.values(consumerToProvider)]) {
      expect(m.reads).toBe(0);
      expect(m.writes).toBeGreaterThanOrEqual(1);
      expect(m.writes).toBeLessThanOrEqual(1.1); // a rare conflict retried
    }
    await unbind(name, 'cowboys.wildwest.dev');
  });

  it('syncs cluster-scoped sheriffs under the contract-namespace prefix (isolation Prefixed)', async () => {
    const p = await providerWithLogin({
      scope: 'Cluster',
      resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1alpha1'] }],
    });
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-sheriffs',
    });
    const name = `sheriffs-${uniqueSuffix()}`;
    await bind(p, name);
    await waitReady(consumer, name);
    const sheriffs = new ResourceClient(consumer, Sheriffs);
    await sheriffs.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Sheriff',
      metadata: { name: 'wyatt' },
      spec: { intent: 'keep the peace', deputies: 2 },
    });
    const upstream = new ResourceClient(p.admin, Sheriffs);
    const copy = await eventually('the prefixed sheriff on the provider', () =>
      ignoreNotFound(upstream.get(`${p.contractNamespace}-wyatt`)),
    );
    expect(copy.spec).toEqual({ intent: 'keep the peace', deputies: 2 });
    // Owned by the contract namespace: deleting the consumer's namespace removes it.
    expect(copy.metadata?.ownerReferences).toMatchObject([
      { kind: 'Namespace', name: p.contractNamespace },
    ]);
    await upstream.patch(
      `${p.contractNamespace}-wyatt`,
      PatchType.merge,
      { status: { result: 'peace kept' } },
      { subresource: 'status' },
    );
    await eventually('the status on the consumer', async () =>
      (await sheriffs.get('wyatt')).status?.result === 'peace kept' ? true : undefined,
    );
    await sheriffs.delete('wyatt');
    await eventually('the provider sheriff to be gone', async () =>
      (await ignoreNotFound(upstream.get(`${p.contractNamespace}-wyatt`))) === undefined
        ? true
        : undefined,
    );
    await unbind(name, 'sheriffs.wildwest.dev');
  });

  it('isolation None: cluster-scoped sheriffs keep their names on the provider', async () => {
    const p = await providerWithLogin(
      {
        scope: 'Cluster',
        resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1alpha1'] }],
      },
      ['--isolation=None'],
    );
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-none',
    });
    const name = `none-${uniqueSuffix()}`;
    await bind(p, name);
    await waitReady(consumer, name);
    // Cluster-scoped names are shared by everyone on the provider: make ours unique.
    const sheriff = `earp-${uniqueSuffix()}`;
    await new ResourceClient(consumer, Sheriffs).create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Sheriff',
      metadata: { name: sheriff },
      spec: { intent: 'patrol' },
    });
    const upstream = new ResourceClient(p.admin, Sheriffs);
    const copy = await eventually('the sheriff under its own name', () =>
      ignoreNotFound(upstream.get(sheriff)),
    );
    expect(copy.metadata?.annotations?.['kube-bind.io/cluster-namespace']).toBe(
      p.contractNamespace,
    );
    await new ResourceClient(consumer, Sheriffs).delete(sheriff);
    await eventually('the provider sheriff to be gone', async () =>
      (await ignoreNotFound(upstream.get(sheriff))) === undefined ? true : undefined,
    );
    await unbind(name, 'sheriffs.wildwest.dev');
  });

  it('isolation Namespaced: cowboys bound cluster-scoped live in the contract namespace; pre-seeded namespaces appear', async () => {
    const saloon = `saloon-${uniqueSuffix()}`;
    const p = await providerWithLogin({ namespaces: [{ name: saloon }] }, [
      '--isolation=Namespaced',
    ]);
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-nsd',
    });
    const name = `nsd-${uniqueSuffix()}`;
    await bind(p, name);
    await waitReady(consumer, name);
    const crd = await new ResourceClient(consumer, CustomResourceDefinitions).get(
      'cowboys.wildwest.dev',
    );
    expect(crd.spec.scope).toBe('Cluster');
    const clusterCowboys = new ResourceClient(consumer, { ...Cowboys, namespaced: false });
    await clusterCowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'drifter' },
      spec: { intent: 'wander' },
    });
    const upstream = new ResourceClient(p.admin, Cowboys, p.contractNamespace);
    await eventually('the cowboy in the contract namespace', () =>
      ignoreNotFound(upstream.get('drifter')),
    );
    // The provider asked for a namespace up front: the konnector creates it on the consumer.
    const ns = await eventually('the pre-seeded namespace on the consumer', () =>
      ignoreNotFound(new ResourceClient(consumer, Namespaces).get(saloon)),
    );
    expect(ns.metadata?.labels).toMatchObject({ 'kube-bind.io/owner': 'provider' });
    await unbind(name, 'cowboys.wildwest.dev');
  });

  it('says why a binding whose kubeconfig Secret is missing or unusable is not Ready', async () => {
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-secrets',
    });
    const bindings = new ResourceClient(consumer, kb.APIServiceBindings);
    const name = `lost-${uniqueSuffix()}`;
    const secretName = `kubeconfig-${name}`;
    await bindings.create({
      metadata: { name },
      spec: {
        kubeconfigSecretRef: { namespace: 'kube-bind', name: secretName, key: 'kubeconfig' },
      },
    });
    onTestFinished(async () => {
      await bindings.delete(name).catch(() => undefined);
    });
    const secretValid = async () => {
      const b = await bindings.get(name);
      const c = b.status?.conditions?.find((x) => x.type === 'SecretValid');
      const ready = b.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' && ready?.status === 'False' ? c : undefined;
    };
    expect(await eventually('SecretValid False (not found)', secretValid)).toMatchObject({
      reason: 'KubeconfigSecretNotFound',
      message: `Kubeconfig secret kube-bind/${secretName} not found. Rerun kubectl bind for repair.`,
    });

    // A kubeconfig that would make the konnector run a program is refused, not used.
    const evil = [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {exec: {command: /bin/sh, args: [-c, "touch /tmp/pwned"]}}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: kb}}]',
      'current-context: x',
    ].join('\n');
    await ignoreAlreadyExists(
      new ResourceClient(consumer, Namespaces).create({ metadata: { name: 'kube-bind' } }),
    );
    const secrets = new ResourceClient(consumer, Secrets, 'kube-bind');
    await secrets.create({ metadata: { name: secretName }, stringData: { kubeconfig: evil } });
    onTestFinished(async () => {
      await secrets.delete(secretName).catch(() => undefined);
    });
    await eventually('SecretValid False (invalid)', async () => {
      const c = await secretValid();
      return c?.reason === 'KubeconfigSecretInvalid' ? c : undefined;
    }).then((c) => expect(c.message).toContain('"exec"'));
  });

  it('runs active/passive: the second konnector takes over when the leader is killed', async () => {
    const p = await providerWithLogin();
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    const lease = ['--lease-name=konnector-ha'];
    const a = await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-ha-a',
      args: lease,
    });
    const b = await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-ha-b',
      args: lease,
    });
    const name = `ha-${uniqueSuffix()}`;
    await bind(p, name);
    await waitReady(consumer, name);
    const leases = new ResourceClient(consumer, Leases, 'kube-system');
    const holder = (await leases.get('konnector-ha')).spec?.holderIdentity ?? '';
    expect(holder).not.toBe('');
    const ns = `ha-${uniqueSuffix()}`;
    await new ResourceClient(consumer, Namespaces).create({ metadata: { name: ns } });
    const cowboys = new ResourceClient(consumer, Cowboys, ns);
    const upstream = new ResourceClient(p.admin, Cowboys, `${p.contractNamespace}-${ns}`);
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'first' },
      spec: { intent: 'a' },
    });
    await eventually('first on the provider', () => ignoreNotFound(upstream.get('first')));

    // Kill whichever leads (no graceful release): the other acquires the Lease once it expires.
    const leader = findLeader([a, b], holder);
    leader.process.kill('SIGKILL');
    await eventually(
      'another konnector to hold the Lease',
      async () => {
        const now = (await leases.get('konnector-ha')).spec?.holderIdentity ?? '';
        return now !== '' && now !== holder ? now : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'second' },
      spec: { intent: 'b' },
    });
    await eventually(
      'second on the provider, synced by the new leader',
      () => ignoreNotFound(upstream.get('second')),
      { timeoutMs: 60_000 },
    );
    await unbind(name, 'cowboys.wildwest.dev');
  });
});

/**
 * The konnector's own successful API requests on claimable resources, reads and writes, both
 * clusters.
 */
async function clientRequests(port: number): Promise<{ reads: number; writes: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let reads = 0;
  let writes = 0;
  for (const line of text.split('\n')) {
    const m = /^rest_client_requests_total\{(.*)\} (\d+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const x of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[x[1] ?? ''] = x[2] ?? '';
    if (!['secrets', 'configmaps'].includes(labels['resource'] ?? '')) continue;
    // Only requests that did something: earlier tests' providers are gone, and the konnector
    // still retries their (now 401) lists of the contract namespace's kubeconfig Secret.
    if (!(labels['code'] ?? '').startsWith('2')) continue;
    const value = Number(m[2]);
    if (['get', 'list'].includes(labels['verb'] ?? '')) reads += value;
    if (['create', 'update', 'patch', 'delete'].includes(labels['verb'] ?? '')) writes += value;
  }
  return { reads, writes };
}

/** The konnector process whose log says it acquired the Lease as `identity`. */
function findLeader(candidates: readonly KonnectorUnderTest[], identity: string) {
  for (const k of candidates) {
    const lines = readFileSync(k.process.logFile, 'utf8').split('\n');
    // A follower's log names the holder too; only the leader's says it acquired the lease.
    if (lines.some((l) => l.includes('acquired the leader lease') && l.includes(identity)))
      return k;
  }
  throw new Error(`no konnector log mentions the lease holder ${identity}`);
}
