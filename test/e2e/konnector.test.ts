// End to end on two real clusters (issue 7, item 3): a provider kube-apiserver running
// bin/backend (dex as the IdP), a consumer kube-apiserver running bin/konnector, Chromium as the
// user's browser, and bin/kubectl-bind as the user's CLI. Cowboys and sheriffs are bound with the
// plugin; objects sync both ways; a referenced secret follows its claim; restarts of the
// konnector and the backend lose nothing; unbinding cleans up both sides; and the web UI's
// one-click apply binds through a bundle that the same konnector serves.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, Sheriffs, wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { PatchType } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  CustomResourceDefinitions,
  Namespaces,
  Secrets,
} from '../../src/kube/resources.ts';
import { launchBrowser, newPage, screenshot } from '../harness/browser.ts';
import { controlPlane, eventually } from '../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../harness/dex.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import {
  konnectorServiceAccount,
  startKonnector,
  type KonnectorUnderTest,
} from '../harness/konnector.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess } from '../harness/process.ts';
import { repoRoot } from '../harness/tools.ts';
import { KubeClient as Client } from '../../src/kube/client.ts';
import { kubectlBind, run } from '../kubectl-bind/run.ts';

/** dex's mock connector logs everyone in, in this group. */
const dexGroup = 'authors';

let dir: string;
let provider: KubeCluster;
let consumer: KubeCluster;
let dex: Dex;
let browser: Browser;
let backendPort: number;
let providerAdmin: KubeClient;
let consumerAdmin: KubeClient;
let backend: ManagedProcess;
let konnector: KonnectorUnderTest;
let konnectorKubeconfig: string;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'e2e-konnector-'));
  backendPort = await freePort();
  [provider, consumer, dex, browser] = await Promise.all([
    startKubeCluster({ name: 'e2e-provider', baseDir: dir }),
    startKubeCluster({ name: 'e2e-consumer', baseDir: dir }),
    startDex({
      baseDir: dir,
      name: 'dex-e2e-konnector',
      clients: [defaultDexClient([`http://127.0.0.1:${backendPort}/api/callback`])],
    }),
    launchBrowser(),
  ]);
  providerAdmin = await adminOf(provider);
  consumerAdmin = await adminOf(consumer);
  backend = await startBackend();
  await providerCatalog(providerAdmin);
  konnectorKubeconfig = await konnectorServiceAccount(consumerAdmin, consumer, dir);
  konnector = await startKonnector({
    kubeconfig: konnectorKubeconfig,
    logDir: dir,
    name: 'e2e-konnector',
    args: ['--lease-namespace=kube-bind'],
    stopWhenTestEnds: false,
  });
}, 300_000);

afterAll(async () => {
  // Whatever beforeAll got to start is stopped, even when it failed half-way.
  const stops = [
    () => konnector.stop(),
    () => backend.stop(),
    () => providerAdmin.close(),
    () => consumerAdmin.close(),
    () => browser.close(),
    () => provider.stop(),
    () => consumer.stop(),
    () => dex.stop(),
  ];
  for (const stop of stops) {
    try {
      await stop();
    } catch {
      // not started
    }
  }
});

async function adminOf(cluster: KubeCluster): Promise<KubeClient> {
  return new Client(await connectionFromKubeconfig({ file: cluster.adminKubeconfigPath }));
}

/** The wildwest CRDs, a cowboys template claiming the secrets cowboys name, sheriffs, and RBAC. */
async function providerCatalog(admin: KubeClient): Promise<void> {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
  const secretsByReference: kb.PermissionClaim = {
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
  };
  const name = 'kube-bind-ts-e2e-bind';
  await new ResourceClient(admin, ClusterRoles).create({
    metadata: { name },
    rules: [{ apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['*'] }],
  });
  await new ResourceClient(admin, ClusterRoleBindings).create({
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'Group', name: dexGroup, apiGroup: 'rbac.authorization.k8s.io' }],
  });
  return createTemplates(templates, secretsByReference);
}

async function createTemplates(
  templates: ResourceClient<kb.APIServiceExportTemplate>,
  claim: kb.PermissionClaim,
): Promise<void> {
  await eventually('the template CRD to serve', async () => {
    try {
      await templates.list({ limit: 1 });
      return true;
    } catch {
      return undefined;
    }
  });
  await templates.create({
    metadata: { name: 'cowboys' },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [claim],
    },
  });
  await templates.create({
    metadata: { name: 'sheriffs' },
    spec: {
      scope: 'Cluster',
      resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1alpha1'] }],
    },
  });
}

/** bin/backend on the provider with dex; resolves when it is ready. */
async function startBackend(): Promise<ManagedProcess> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  const proc = new ManagedProcess({
    name: 'e2e-backend',
    command: join(repoRoot, 'bin/backend'),
    args: [
      `--kubeconfig=${provider.adminKubeconfigPath}`,
      '--leader-election-namespace=default',
      `--listen-address=127.0.0.1:${backendPort}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${backendPort}/api/callback`,
      `--oidc-allowed-groups=${dexGroup}`,
      '--pretty-name=Wild West Provider',
    ],
    logDir: dir,
    env: { LOG_LEVEL: 'info', OIDC_CLIENT_SECRET: client.secret },
  });
  await eventually(
    'the backend to be ready',
    async () => {
      if (!proc.running) throw new Error(`backend exited: ${proc.tail()}`);
      const res = await fetch(`${origin()}/readyz`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return proc;
}

const origin = () => `http://127.0.0.1:${backendPort}`;
const consumerEnv = () => ({ KUBECONFIG: consumer.adminKubeconfigPath });
const readyOf = (obj: { status?: { conditions?: { type: string; status: string }[] } }) =>
  obj.status?.conditions?.find((c) => c.type === 'Ready')?.status;

async function waitReady(name: string): Promise<kb.APIServiceBinding> {
  const bindings = new ResourceClient(consumerAdmin, kb.APIServiceBindings);
  return eventually(
    `APIServiceBinding ${name} to be Ready`,
    async () => {
      const b = await ignoreNotFound(bindings.get(name));
      return b && readyOf(b) === 'True' ? b : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

/** The contract namespace a consumer binding's kubeconfig Secret points at. */
async function contractOf(binding: kb.APIServiceBinding): Promise<string> {
  const ref = binding.spec?.kubeconfigSecretRef;
  const secret = await new ResourceClient(consumerAdmin, Secrets, ref?.namespace).get(
    ref?.name ?? '',
  );
  const text = Buffer.from(secret.data?.[ref?.key ?? 'kubeconfig'] ?? '', 'base64').toString();
  return /namespace: (\S+)/.exec(text)?.[1] ?? '';
}

const gone = async (get: Promise<unknown>) =>
  (await ignoreNotFound(get)) === undefined ? true : undefined;

let home = '';
let contract = '';

describe('kube-bind end to end: bin/backend, bin/konnector, kubectl bind, dex, Chromium', () => {
  it('logs in through dex in Chromium and binds cowboys and sheriffs with the plugin', async () => {
    home = mkdtempSync(join(dir, 'home-'));
    const login = kubectlBind(home, ['login', origin(), '--skip-browser'], consumerEnv());
    const url = await login.printedUrl(/\/api\/authorize\?/);
    const recorded = await newPage(browser);
    onTestFinished(() => recorded.close());
    await recorded.page.goto(url.href);
    expect(await login.exited, login.stderr()).toBe(0);
    await screenshot(recorded.page, 'e2e-konnector-login');

    for (const template of ['cowboys', 'sheriffs']) {
      const r = await run(
        home,
        ['apiservice', '--template-name', template, '--name', template, '--skip-konnector'],
        consumerEnv(),
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const cowboys = await waitReady('cowboys');
    await waitReady('sheriffs');
    expect(cowboys.status?.providerPrettyName).toBe('Wild West Provider');
    contract = await contractOf(cowboys);
    expect(contract).toMatch(/^cluster-/);
    // The plugin granted the konnector each binding's rights, owned by the binding.
    const role = await new ResourceClient(consumerAdmin, ClusterRoles).get(
      'kube-bind-konnector-cowboys',
    );
    expect(role.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'APIServiceBinding',
      name: 'cowboys',
    });
    expect(JSON.stringify(role.rules)).not.toContain('"*"');
    const cb = await new ResourceClient(providerAdmin, kb.ClusterBindings, contract).get('cluster');
    expect(cb.status?.konnectorVersion).toBe('v0.8.1');
    expect(cb.status?.consumerSecretRef?.namespace).toBe('kube-bind');
  });

  it('syncs cowboys, their claimed secret and sheriffs both ways', async () => {
    await new ResourceClient(consumerAdmin, Namespaces).create({ metadata: { name: 'wild-west' } });
    const secrets = new ResourceClient(consumerAdmin, Secrets, 'wild-west');
    await secrets.create({ metadata: { name: 'colt' }, stringData: { bullets: '6' } });
    const cowboys = new ResourceClient(consumerAdmin, Cowboys, 'wild-west');
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'joe' },
      spec: { intent: 'ride', secretRefs: [{ name: 'colt' }] },
    });
    const providerNs = `${contract}-wild-west`;
    const upstream = new ResourceClient(providerAdmin, Cowboys, providerNs);
    const copy = await eventually('joe on the provider', () => ignoreNotFound(upstream.get('joe')));
    expect(copy.spec?.intent).toBe('ride');
    const claimed = await eventually('the claimed secret on the provider', () =>
      ignoreNotFound(new ResourceClient(providerAdmin, Secrets, providerNs).get('colt')),
    );
    expect(Buffer.from(claimed.data?.['bullets'] ?? '', 'base64').toString()).toBe('6');

    await upstream.patch(
      'joe',
      PatchType.merge,
      { status: { result: 'rode' } },
      { subresource: 'status' },
    );
    await eventually('the status on the consumer', async () =>
      (await cowboys.get('joe')).status?.result === 'rode' ? true : undefined,
    );
    await cowboys.patch('joe', PatchType.merge, { spec: { intent: 'rest' } });
    await eventually('the update on the provider', async () =>
      (await upstream.get('joe')).spec?.intent === 'rest' ? true : undefined,
    );

    const sheriffs = new ResourceClient(consumerAdmin, Sheriffs);
    await sheriffs.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Sheriff',
      metadata: { name: 'wyatt' },
      spec: { intent: 'keep the peace', deputies: 1 },
    });
    const sheriffContract = await contractOf(await waitReady('sheriffs'));
    await eventually('the sheriff on the provider', () =>
      ignoreNotFound(new ResourceClient(providerAdmin, Sheriffs).get(`${sheriffContract}-wyatt`)),
    );
  });

  it('loses nothing when the konnector and the backend restart mid-way', async () => {
    const cowboys = new ResourceClient(consumerAdmin, Cowboys, 'wild-west');
    const upstream = new ResourceClient(providerAdmin, Cowboys, `${contract}-wild-west`);
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'jim' },
      spec: { intent: 'stay' },
    });
    await eventually('jim on the provider', () => ignoreNotFound(upstream.get('jim')));

    await konnector.stop();
    // While it is down: one new, one changed, one deleted (held by its finalizer).
    await cowboys.create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'late' },
      spec: { intent: 'arrive' },
    });
    await cowboys.patch('joe', PatchType.merge, { spec: { intent: 'ride again' } });
    await cowboys.delete('jim');
    konnector = await startKonnector({
      kubeconfig: konnectorKubeconfig,
      logDir: dir,
      args: ['--lease-namespace=kube-bind'],
      name: 'e2e-konnector-2',
      stopWhenTestEnds: false,
    });
    await eventually('late on the provider', () => ignoreNotFound(upstream.get('late')));
    await eventually('joe updated on the provider', async () =>
      (await upstream.get('joe')).spec?.intent === 'ride again' ? true : undefined,
    );
    await eventually('jim gone from both sides', async () =>
      (await gone(upstream.get('jim'))) && (await gone(cowboys.get('jim'))) ? true : undefined,
    );

    // The backend restarts while a cowboy arrives in a namespace the provider has not seen yet:
    // its provider namespace is made once the backend is back.
    await backend.stop();
    await new ResourceClient(consumerAdmin, Namespaces).create({ metadata: { name: 'tombstone' } });
    await new ResourceClient(consumerAdmin, Cowboys, 'tombstone').create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'doc' },
      spec: { intent: 'gamble' },
    });
    backend = await startBackend();
    await eventually(
      'doc on the provider',
      () =>
        ignoreNotFound(
          new ResourceClient(providerAdmin, Cowboys, `${contract}-tombstone`).get('doc'),
        ),
      { timeoutMs: 60_000 },
    );
  });

  it('unbinding cleans up both sides', async () => {
    const upstream = new ResourceClient(providerAdmin, Cowboys);
    const before = (await upstream.list()).items.length;
    expect(before).toBeGreaterThan(0);
    await new ResourceClient(consumerAdmin, kb.APIServiceBindings).delete('cowboys');
    await eventually(
      'every provider cowboy and claimed secret to be gone',
      async () => {
        const left = (await upstream.list()).items.length;
        const secret = await ignoreNotFound(
          new ResourceClient(providerAdmin, Secrets, `${contract}-wild-west`).get('colt'),
        );
        return left === 0 && !secret ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await eventually(
      'the binding, its CRD and the consumer cowboys to be gone',
      async () =>
        (await gone(new ResourceClient(consumerAdmin, kb.APIServiceBindings).get('cowboys'))) &&
        (await gone(
          new ResourceClient(consumerAdmin, CustomResourceDefinitions).get('cowboys.wildwest.dev'),
        ))
          ? true
          : undefined,
      { timeoutMs: 90_000 },
    );
    await eventually('the binding’s konnector RBAC to be collected', () =>
      gone(new ResourceClient(consumerAdmin, ClusterRoles).get('kube-bind-konnector-cowboys')),
    );
    // The sheriffs binding is untouched.
    expect(readyOf(await waitReady('sheriffs'))).toBe('True');
  });

  it('binds from the web UI alone: one-click apply, a bundle, and the konnector serving it', async () => {
    const recorded = await newPage(browser);
    onTestFinished(() => recorded.close());
    const { page } = recorded;
    await page.goto(`${origin()}/`);
    // A new browser context has no session: log in through dex from the UI's login page.
    await page
      .getByTestId('catalog')
      .or(page.getByTestId('login-page'))
      .waitFor({ timeout: 30_000 });
    if (await page.getByTestId('login-page').isVisible()) {
      await page.getByTestId('login-button').click();
    }
    await page.getByTestId('catalog').waitFor({ timeout: 30_000 });
    await page.getByTestId('bind-cowboys').click();
    await page.getByTestId('bind-page').waitFor();
    await page.getByTestId('option-apply').check();
    await page
      .getByTestId('apply-kubeconfig-text')
      .fill(readFileSync(consumer.adminKubeconfigPath, 'utf8'));
    await page.getByTestId('binding-name').fill('ui-cowboys');
    await page.getByTestId('bind-submit').click();
    await page.getByTestId('apply-result').waitFor({ timeout: 60_000 });
    await screenshot(page, 'e2e-konnector-ui-apply');

    const bundle = await new ResourceClient(consumerAdmin, kb.APIServiceBindingBundles).get(
      'ui-cowboys',
    );
    expect(bundle.spec?.kubeconfigSecretRef).toMatchObject({ namespace: 'kube-bind' });
    const binding = await waitReady('ui-cowboys');
    expect(binding.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'APIServiceBindingBundle',
      name: 'ui-cowboys',
    });
    const uiContract = await contractOf(binding);
    await new ResourceClient(consumerAdmin, Cowboys, 'wild-west').create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Cowboy',
      metadata: { name: 'billy' },
      spec: { intent: 'duel' },
    });
    await eventually('billy on the provider', () =>
      ignoreNotFound(
        new ResourceClient(providerAdmin, Cowboys, `${uiContract}-wild-west`).get('billy'),
      ),
    );
  });
});
