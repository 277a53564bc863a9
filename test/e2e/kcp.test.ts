// End to end on a real kcp (issue 8, item 4). kube-bind.io is bootstrapped into its own
// workspace; bin/backend runs there with `--multicluster-runtime-provider=kcp`, engaging the
// provider workspace that binds kube-bind.io and exports cowboys. Two consumer workspaces, each
// with its own bin/konnector, log in through dex in Chromium and bind cowboys with the plugin.
// Objects sync both ways; each consumer's credentials reach only its own contract namespace;
// one consumer unbinding leaves the other alone; and when the provider workspace unbinds
// kube-bind.io the backend disengages it (no clusters, same watches) and engages it again when
// it binds once more.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import { kubeBindAPIBinding } from '../../src/apis/kubebind/kcp.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { KubeClient, PatchType } from '../../src/kube/client.ts';
import { connectionFromKubeconfig, type ClusterConnection } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ForbiddenError, ignoreAlreadyExists, ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  Namespaces,
  Secrets,
} from '../../src/kube/resources.ts';
import { APIBindings, bootstrapKcp } from '../../src/providers/kcp/bootstrap.ts';
import { launchBrowser, newPage, screenshot } from '../harness/browser.ts';
import { controlPlane, eventually, testLogger, uniqueSuffix } from '../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../harness/dex.ts';
import { startKonnector, type KonnectorUnderTest } from '../harness/konnector.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess } from '../harness/process.ts';
import { repoRoot } from '../harness/tools.ts';
import { kubectlBind, run } from '../kubectl-bind/run.ts';

/** dex's mock connector logs everyone in, in this group. */
const dexGroup = 'authors';
const workspaces = '/apis/tenancy.kcp.io/v1alpha1/workspaces';
/** The export's own workspace (its recursive binding) and the provider workspace. */
const engagedWithProvider = 2;

interface Workspace {
  name: string;
  path: string;
  /** The logical cluster's id: the backend's cluster_id, the kubeconfig's /clusters/<id>. */
  id: string;
  client: KubeClient;
  kubeconfig: string;
}

interface Consumer {
  workspace: Workspace;
  home: string;
  konnector: KonnectorUnderTest;
  contract: string;
}

let dir: string;
let admin: ClusterConnection;
let root: KubeClient;
let dex: Dex;
let browser: Browser;
let backendPort: number;
let backend: ManagedProcess | undefined;
let exportWorkspace = '';
let provider: Workspace;
const consumers: Record<'a' | 'b', Consumer> = {} as Record<'a' | 'b', Consumer>;
const created: string[] = [];

describe.runIf(controlPlane().kcp !== undefined)('kube-bind on kcp, end to end', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(controlPlane().runDir, 'e2e-kcp-'));
    backendPort = await freePort();
    admin = await connectionFromKubeconfig({ file: controlPlane().kcp?.kubeconfigPath ?? '' });
    root = new KubeClient({ ...admin, server: `${new URL(admin.server).origin}/clusters/root` });
    [dex, browser] = await Promise.all([
      startDex({
        baseDir: dir,
        name: 'dex-e2e-kcp',
        clients: [defaultDexClient([`http://127.0.0.1:${backendPort}/api/callback`])],
      }),
      launchBrowser(),
    ]);
    const suffix = uniqueSuffix();
    exportWorkspace = `kb-e2e-${suffix}`;
    created.push(exportWorkspace);
    const exportPath = await bootstrapKcp({
      client: root,
      workspace: exportWorkspace,
      bindableBy: [{ kind: 'Group', name: 'system:authenticated' }],
      log: testLogger(),
      timeoutMs: 120_000,
    });
    provider = await workspace(`kb-e2e-provider-${suffix}`);
    await bindKubeBind(provider, exportPath);
    await providerCatalog(provider.client);
    backend = await startBackend(exportPath);
    for (const key of ['a', 'b'] as const) {
      const ws = await workspace(`kb-e2e-consumer-${key}-${suffix}`);
      await consumerBasics(ws.client);
      const konnector = await startKonnector({
        kubeconfig: ws.kubeconfig,
        logDir: dir,
        name: `e2e-kcp-konnector-${key}`,
        args: ['--lease-namespace=kube-bind'],
        stopWhenTestEnds: false,
      });
      consumers[key] = {
        workspace: ws,
        home: mkdtempSync(join(dir, `home-${key}-`)),
        konnector,
        contract: '',
      };
    }
  }, 600_000);

  afterAll(async () => {
    const stops = [
      ...Object.values(consumers).map((c) => () => c.konnector.stop()),
      () => backend?.stop(),
      () => browser.close(),
      () => dex.stop(),
      ...created.map((name) => () => ignoreNotFound(root.delete(`${workspaces}/${name}`))),
      () => root.close(),
    ];
    for (const stop of stops) {
      try {
        await stop();
      } catch {
        // not started
      }
    }
  });

  it('logs both consumer workspaces in through dex and binds cowboys from the provider workspace', async () => {
    for (const key of ['a', 'b'] as const) {
      const consumer = consumers[key];
      const env = { KUBECONFIG: consumer.workspace.kubeconfig };
      const login = kubectlBind(
        consumer.home,
        ['login', origin(), '--cluster', provider.id, '--skip-browser'],
        env,
      );
      const url = await login.printedUrl(/\/api\/authorize\?/);
      expect(url.searchParams.get('cluster_id')).toBe(provider.id);
      const page = await newPage(browser);
      onTestFinished(() => page.close());
      await page.page.goto(url.href);
      expect(await login.exited, login.stderr()).toBe(0);
      await screenshot(page.page, `e2e-kcp-login-${key}`);

      const templates = await run(consumer.home, ['templates'], env);
      expect(templates.code, templates.stderr).toBe(0);
      expect(templates.stdout).toContain('cowboys');
      const bind = await run(
        consumer.home,
        ['apiservice', '--template-name', 'cowboys', '--name', 'cowboys', '--skip-konnector'],
        env,
      );
      expect(bind.code, bind.stderr).toBe(0);
      await waitReady(consumer);
      consumer.contract = await contractOf(consumer);
    }
    const { a, b } = consumers;
    expect(a.contract).toMatch(/^cluster-/);
    expect(b.contract).toMatch(/^cluster-/);
    expect(a.contract).not.toBe(b.contract);
    // The kubeconfig points at the provider's logical cluster itself, not the virtual workspace.
    const server = await kubeconfigServer(a);
    expect(server).toBe(`${new URL(admin.server).origin}/clusters/${provider.id}`);
    // The backend wrote its objects into the provider workspace.
    const cb = await new ResourceClient(provider.client, kb.ClusterBindings, a.contract).get(
      'cluster',
    );
    expect(cb.status?.konnectorVersion).toBe('v0.8.1');
    await new ResourceClient(provider.client, kb.Clusters).get('default');
  }, 300_000);

  it('syncs cowboys both ways for each consumer', async () => {
    for (const key of ['a', 'b'] as const) {
      const consumer = consumers[key];
      const ns = `town-${key}`;
      await new ResourceClient(consumer.workspace.client, Namespaces).create({
        metadata: { name: ns },
      });
      const cowboys = new ResourceClient(consumer.workspace.client, Cowboys, ns);
      await cowboys.create({
        apiVersion: 'wildwest.dev/v1alpha1',
        kind: 'Cowboy',
        metadata: { name: `rider-${key}` },
        spec: { intent: `ride ${key}` },
      });
      const upstream = new ResourceClient(provider.client, Cowboys, `${consumer.contract}-${ns}`);
      const copy = await eventually(`rider-${key} in the provider workspace`, () =>
        ignoreNotFound(upstream.get(`rider-${key}`)),
      );
      expect(copy.spec?.intent).toBe(`ride ${key}`);
      await upstream.patch(
        `rider-${key}`,
        PatchType.merge,
        { status: { result: `rode ${key}` } },
        { subresource: 'status' },
      );
      await eventually(`the status back in consumer ${key}`, async () =>
        (await cowboys.get(`rider-${key}`)).status?.result === `rode ${key}` ? true : undefined,
      );
    }
  }, 180_000);

  it('keeps each consumer to its own contract namespace', async () => {
    const { a, b } = consumers;
    const bAsIssued = await issuedClient(b);
    onTestFinished(() => bAsIssued.close());
    // B's credentials work in B's contract namespace…
    await new ResourceClient(bAsIssued, kb.ClusterBindings, b.contract).get('cluster');
    // …and are refused in A's, for the synced objects and for the credentials kept there.
    for (const read of [
      () => new ResourceClient(bAsIssued, Cowboys, `${a.contract}-town-a`).list(),
      () => new ResourceClient(bAsIssued, kb.ClusterBindings, a.contract).list(),
      () => new ResourceClient(bAsIssued, Secrets, a.contract).list(),
    ]) {
      await expect(read()).rejects.toBeInstanceOf(ForbiddenError);
    }
    // Nothing of A's reached B's workspace.
    const inB = await new ResourceClient(b.workspace.client, Cowboys).list();
    expect(inB.items.map((c) => c.metadata?.name)).toEqual(['rider-b']);
  }, 60_000);

  it("one consumer unbinding removes its provider copies and leaves the other's", async () => {
    const { a, b } = consumers;
    await new ResourceClient(b.workspace.client, kb.APIServiceBindings).delete('cowboys');
    await eventually(
      "B's cowboys to be gone from the provider workspace",
      async () =>
        (await new ResourceClient(provider.client, Cowboys, `${b.contract}-town-b`).list()).items
          .length === 0
          ? true
          : undefined,
      { timeoutMs: 90_000 },
    );
    const aCopies = await new ResourceClient(
      provider.client,
      Cowboys,
      `${a.contract}-town-a`,
    ).list();
    expect(aCopies.items.map((c) => c.metadata?.name)).toEqual(['rider-a']);
  }, 120_000);

  it('disengages the provider workspace when it unbinds kube-bind.io, and engages it again', async () => {
    const before = await clusterGauges();
    expect([before.controllers, before.frontDoor]).toEqual([
      engagedWithProvider,
      engagedWithProvider,
    ]);
    expect(before.watches).toBeGreaterThan(0);
    const token = await cliToken(consumers.a);
    expect((await templates(token)).status).toBe(200);

    const bindings = new ResourceClient(provider.client, APIBindings);
    await bindings.delete('kube-bind.io');
    const after = await eventually(
      'the backend to disengage the provider workspace',
      async () => {
        const g = await clusterGauges();
        return g.controllers === engagedWithProvider - 1 && g.frontDoor === engagedWithProvider - 1
          ? g
          : undefined;
      },
      { timeoutMs: 90_000 },
    );
    // One wildcard watch per resource: a cluster leaving closes none and leaves none behind.
    expect(after.watches).toBe(before.watches);
    const refused = await templates(token);
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toMatchObject({
      kind: 'Error',
      code: 'RESOURCE_NOT_FOUND',
      message: `Cluster "${provider.id}" is not served by this backend`,
    });
    // kcp removes the workspace's kube-bind objects before the binding goes.
    await eventually(
      'the old binding to be gone',
      async () => ((await ignoreNotFound(bindings.get('kube-bind.io'))) ? undefined : true),
      { timeoutMs: 120_000 },
    );

    await bindKubeBind(provider, `root:${exportWorkspace}`);
    await eventually(
      'the backend to engage the provider workspace again',
      async () => {
        const g = await clusterGauges();
        return g.controllers === engagedWithProvider && g.frontDoor === engagedWithProvider
          ? true
          : undefined;
      },
      { timeoutMs: 90_000 },
    );
    await eventually('templates to be served again', async () =>
      (await templates(token)).status === 200 ? true : undefined,
    );
    expect((await clusterGauges()).watches).toBe(before.watches);
  }, 240_000);
});

/** A workspace under root, Ready, with a kubeconfig for it (kcp admin credentials). */
async function workspace(name: string): Promise<Workspace> {
  await root.create(workspaces, {
    apiVersion: 'tenancy.kcp.io/v1alpha1',
    kind: 'Workspace',
    metadata: { name, labels: { 'kube-bind-ts.io/test': 'true' } },
  });
  created.push(name);
  const ws = await eventually(`workspace ${name} to be Ready`, async () => {
    const w = await root.get<{ spec?: { cluster?: string }; status?: { phase?: string } }>(
      `${workspaces}/${name}`,
    );
    return w.status?.phase === 'Ready' && w.spec?.cluster ? w : undefined;
  });
  const path = `root:${name}`;
  const server = `${new URL(admin.server).origin}/clusters/${path}`;
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, kcpKubeconfigAt(server));
  return {
    name,
    path,
    id: ws.spec?.cluster ?? '',
    client: new KubeClient({ ...admin, server }),
    kubeconfig,
  };
}

/** kcp's admin kubeconfig with every cluster's server set to `server`. */
function kcpKubeconfigAt(server: string): string {
  const config = parse(readFileSync(controlPlane().kcp?.kubeconfigPath ?? '', 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of config.clusters) c.cluster.server = server;
  return stringify(config);
}

/** The workspace binds kube-bind.io, accepting its claims; resolves once Bound. */
async function bindKubeBind(ws: Workspace, exportPath: string): Promise<void> {
  const bindings = new ResourceClient(ws.client, APIBindings);
  await ignoreAlreadyExists(bindings.create(kubeBindAPIBinding(exportPath)));
  await eventually(`${ws.name} to bind kube-bind.io`, async () => {
    const b = (await ignoreNotFound(bindings.get('kube-bind.io'))) as
      { status?: { phase?: string } } | undefined;
    return b?.status?.phase === 'Bound' ? true : undefined;
  });
}

/** The wildwest CRDs, a cowboys template, and the RBAC that lets dex's users bind. */
async function providerCatalog(client: KubeClient): Promise<void> {
  await installCRDs(client, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const name = 'kube-bind-ts-e2e-bind';
  await new ResourceClient(client, ClusterRoles).create({
    metadata: { name },
    rules: [{ apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['*'] }],
  });
  await new ResourceClient(client, ClusterRoleBindings).create({
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'Group', name: dexGroup, apiGroup: 'rbac.authorization.k8s.io' }],
  });
  const templates = new ResourceClient(client, kb.APIServiceExportTemplates);
  await eventually('the template API to serve', async () => {
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
    },
  });
}

/** What the plugin and the konnector expect of a consumer cluster that kcp starts without. */
async function consumerBasics(client: KubeClient): Promise<void> {
  const namespaces = new ResourceClient(client, Namespaces);
  // The plugin's default cluster identity is kube-system's UID; the konnector leads in kube-bind.
  for (const name of ['kube-system', 'kube-bind']) {
    await ignoreAlreadyExists(namespaces.create({ metadata: { name } }));
  }
}

/** bin/backend on kcp, in the export's workspace, with dex; resolves when it is ready. */
async function startBackend(exportPath: string): Promise<ManagedProcess> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  const kubeconfig = join(dir, 'backend.kubeconfig');
  writeFileSync(
    kubeconfig,
    kcpKubeconfigAt(`${new URL(admin.server).origin}/clusters/${exportPath}`),
  );
  const proc = new ManagedProcess({
    name: 'e2e-kcp-backend',
    command: join(repoRoot, 'bin/backend'),
    args: [
      '--multicluster-runtime-provider',
      'kcp',
      '--apiexport-endpointslice-name=kube-bind.io',
      `--kubeconfig=${kubeconfig}`,
      `--listen-address=127.0.0.1:${backendPort}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${backendPort}/api/callback`,
      `--oidc-allowed-groups=${dexGroup}`,
      '--pretty-name=kcp Wild West',
    ],
    logDir: dir,
    env: { LOG_LEVEL: 'info', OIDC_CLIENT_SECRET: client.secret },
  });
  await eventually(
    'the backend to be ready and serving the provider workspace',
    async () => {
      if (!proc.running) throw new Error(`backend exited: ${proc.tail()}`);
      const ready = await fetch(`${origin()}/readyz`).catch(() => undefined);
      if (!ready?.ok) return undefined;
      const g = await clusterGauges();
      return g.controllers === engagedWithProvider && g.frontDoor === engagedWithProvider
        ? true
        : undefined;
    },
    { timeoutMs: 120_000 },
  );
  return proc;
}

const origin = () => `http://127.0.0.1:${backendPort}`;

async function clusterGauges(): Promise<{
  controllers: number;
  frontDoor: number;
  watches: number;
}> {
  const text = await (await fetch(`${origin()}/metrics`)).text();
  const gauge = (name: string, component: string) =>
    Number(
      new RegExp(`^${name}\\{component="${component}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN,
    );
  return {
    controllers: gauge('kube_bind_engaged_clusters', 'controllers'),
    frontDoor: gauge('kube_bind_engaged_clusters', 'front-door'),
    watches:
      gauge('kube_bind_provider_open_watches', 'controllers') +
      gauge('kube_bind_provider_open_watches', 'front-door'),
  };
}

async function waitReady(consumer: Consumer): Promise<kb.APIServiceBinding> {
  const bindings = new ResourceClient(consumer.workspace.client, kb.APIServiceBindings);
  return eventually(
    `APIServiceBinding cowboys to be Ready in ${consumer.workspace.name}`,
    async () => {
      const b = await ignoreNotFound(bindings.get('cowboys'));
      const ready = b?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      return b && ready === 'True' ? b : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

/** The kubeconfig the backend issued to a consumer, as the konnector holds it. */
async function issuedKubeconfig(consumer: Consumer): Promise<string> {
  const binding = await new ResourceClient(consumer.workspace.client, kb.APIServiceBindings).get(
    'cowboys',
  );
  const ref = binding.spec?.kubeconfigSecretRef;
  const secret = await new ResourceClient(consumer.workspace.client, Secrets, ref?.namespace).get(
    ref?.name ?? '',
  );
  return Buffer.from(secret.data?.[ref?.key ?? 'kubeconfig'] ?? '', 'base64').toString();
}

async function contractOf(consumer: Consumer): Promise<string> {
  return /namespace: (\S+)/.exec(await issuedKubeconfig(consumer))?.[1] ?? '';
}

async function kubeconfigServer(consumer: Consumer): Promise<string> {
  return /server: (\S+)/.exec(await issuedKubeconfig(consumer))?.[1] ?? '';
}

async function issuedClient(consumer: Consumer): Promise<KubeClient> {
  const file = join(dir, `issued-${consumer.workspace.name}.kubeconfig`);
  writeFileSync(file, await issuedKubeconfig(consumer));
  return new KubeClient(await connectionFromKubeconfig({ file }));
}

/** The CLI token `kubectl bind login` stored for a consumer. */
async function cliToken(consumer: Consumer): Promise<string> {
  const config = JSON.parse(await readFile(join(consumer.home, '.kube-bind/config'), 'utf8')) as {
    servers: Record<string, { accessToken: string }>;
  };
  const token = Object.values(config.servers)[0]?.accessToken;
  if (!token) throw new Error('no CLI token stored');
  return token;
}

async function templates(token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${origin()}/api/templates?cluster_id=${provider.id}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: await res.text() };
}
