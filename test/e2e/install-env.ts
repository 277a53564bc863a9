// The environment of the install end-to-end test (install.test.ts): two clusters whose pods run
// on real nodes (kubelet + containerd + runc), dex, Redis and Chromium, and the operator's and
// the consumer's tools — helm with the chart, bin/kubectl-bind — pointed at them.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { grantBind } from '../backend/http/front-door.ts';
import { helm, type HelmRun } from '../deploy/chart.ts';
import { launchBrowser } from '../harness/browser.ts';
import { controlPlane, eventually } from '../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../harness/dex.ts';
import { ensureImages, type BuiltImages } from '../harness/images.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { startNode, type TestNode } from '../harness/node.ts';
import { freePort } from '../harness/ports.ts';
import { startRedis, type RedisServer } from '../harness/redis.ts';

/** dex's mock connector logs everyone in, in this group. */
export const dexGroup = 'authors';
export const releaseNamespace = 'kube-bind';
export const release = 'kube-bind';

export interface InstallEnv {
  dir: string;
  provider: KubeCluster;
  consumer: KubeCluster;
  providerAdmin: KubeClient;
  consumerAdmin: KubeClient;
  providerNodes: TestNode[];
  consumerNodes: TestNode[];
  dex: Dex;
  redis: RedisServer;
  redisPassword: string;
  browser: Browser;
  images: BuiltImages;
  /** The port of the load balancer in front of the backend pods (the OIDC callback's origin). */
  lbPort: number;
  stop(): Promise<void>;
}

export async function startInstallEnv(): Promise<InstallEnv> {
  const dir = mkdtempSync(join(controlPlane().runDir, 'e2e-install-'));
  const lbPort = await freePort();
  const redisPassword = 'redis-e2e-install';
  const stops: (() => Promise<unknown>)[] = [];
  const env: Partial<InstallEnv> = { dir, lbPort, redisPassword, providerNodes: [] };
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const [provider, consumer, dex, redis, browser, images] = await Promise.all([
      startKubeCluster({ name: 'install-provider', baseDir: dir, pods: true }),
      startKubeCluster({ name: 'install-consumer', baseDir: dir, pods: true }),
      startDex({
        baseDir: dir,
        name: 'dex-e2e-install',
        clients: [defaultDexClient([`http://127.0.0.1:${lbPort}/api/callback`])],
      }),
      startRedis({ baseDir: dir, name: 'redis-e2e-install', password: redisPassword }),
      launchBrowser(),
      ensureImages(),
    ]);
    stops.push(
      () => provider.stop(),
      () => consumer.stop(),
      () => dex.stop(),
      () => redis.stop(),
      () => browser.close(),
    );
    const providerAdmin = await adminOf(provider);
    const consumerAdmin = await adminOf(consumer);
    stops.push(
      () => providerAdmin.close(),
      () => consumerAdmin.close(),
    );
    const providerNodes: TestNode[] = [];
    const consumerNodes: TestNode[] = [];
    // Nodes stop before their clusters (stops run in reverse).
    stops.push(async () => {
      for (const n of [...providerNodes, ...consumerNodes]) await n.stop();
    });
    const [p1, c1] = await Promise.all([
      startNode({
        cluster: provider,
        name: 'provider-1',
        baseDir: dir,
        images: [images.backend.archive],
      }),
      startNode({
        cluster: consumer,
        name: 'consumer-1',
        baseDir: dir,
        images: [images.konnector.archive],
      }),
    ]);
    providerNodes.push(p1);
    consumerNodes.push(c1);
    await providerCatalog(providerAdmin);
    return Object.assign(env, {
      provider,
      consumer,
      providerAdmin,
      consumerAdmin,
      providerNodes,
      consumerNodes,
      dex,
      redis,
      browser,
      images,
      stop,
    }) as InstallEnv;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Joins nodes `provider-<n>` to the provider cluster, with the backend image imported. */
export async function addProviderNodes(env: InstallEnv, ...numbers: number[]): Promise<void> {
  const nodes = await Promise.all(
    numbers.map((n) =>
      startNode({
        cluster: env.provider,
        name: `provider-${String(n)}`,
        baseDir: env.dir,
        images: [env.images.backend.archive],
      }),
    ),
  );
  env.providerNodes.push(...nodes);
}

async function adminOf(cluster: KubeCluster): Promise<KubeClient> {
  return new KubeClient(await connectionFromKubeconfig({ file: cluster.adminKubeconfigPath }));
}

/** The wildwest CRDs, and the right to bind for dex's group. */
async function providerCatalog(admin: KubeClient): Promise<void> {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  await grantBind(admin, { kind: 'Group', name: dexGroup }, 'kube-bind-ts-e2e-install');
}

/** The templates, once the chart has installed the kube-bind.io CRDs. */
export async function createTemplates(admin: KubeClient): Promise<void> {
  const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
  await eventually('the template CRD to serve', async () =>
    (await templates.list({ limit: 1 }).catch(() => undefined)) ? true : undefined,
  );
  await templates.create({
    metadata: { name: 'cowboys' },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
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

/** helm against the provider cluster; throws with helm's output when it fails. */
export function helmOnProvider(env: InstallEnv, args: readonly string[]): HelmRun {
  const r = helm([...args, '--kubeconfig', env.provider.adminKubeconfigPath]);
  if (r.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited ${String(r.status)}:\n${r.stderr}`);
  }
  return r;
}
