// End to end as an operator and a consumer do it, with pods on real nodes:
// `helm install` of deploy/charts/backend into the provider cluster runs our backend image; a
// consumer's `kubectl bind` (without --skip-konnector) deploys our konnector image into the
// consumer cluster, where it syncs as its own service account; `helm upgrade` to three replicas
// with Redis serves one login across pods, one pod leads, and neither a crashed leader nor a
// deleted one loses anything;
// `helm uninstall` leaves what consumers depend on.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, Sheriffs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { PatchType } from '../../src/kube/client.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient, resourceType } from '../../src/kube/resource.ts';
import {
  CustomResourceDefinitions,
  Deployments,
  Leases,
  Namespaces,
  Secrets,
  SubjectAccessReviews,
} from '../../src/kube/resources.ts';
import { chartDir, valuesFile } from '../deploy/chart.ts';
import { newPage } from '../harness/browser.ts';
import { containerdSocket } from '../harness/node-containerd.ts';
import { eventually } from '../harness/context.ts';
import { startRoundRobin, type RoundRobin } from '../harness/round-robin.ts';
import { kubectlBind, run } from '../kubectl-bind/run.ts';
import {
  addProviderNodes,
  createTemplates,
  dexGroup,
  helmOnProvider,
  release,
  releaseNamespace,
  startInstallEnv,
  type InstallEnv,
} from './install-env.ts';

const Pods = resourceType<Pod>({
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  namespaced: true,
});

const execFileAsync = promisify(execFile);

let env: InstallEnv;
let balancer: RoundRobin | undefined;
let home = '';

beforeAll(async () => {
  env = await startInstallEnv();
}, 600_000);

afterAll(async () => {
  await balancer?.close();
  await env.stop();
});

const consumerEnv = () => ({ KUBECONFIG: env.consumer.adminKubeconfigPath });
const lbOrigin = () => `http://127.0.0.1:${String(env.lbPort)}`;

/** The chart's values: our image, dex as the IdP, each pod on its node's own address. */
function chartValues(ha: boolean): Record<string, unknown> {
  const [repository, tag] = splitRef(env.images.backend.ref);
  const client = env.dex.clients[0];
  return {
    replicaCount: ha ? 3 : 1,
    // Three nodes for three pods that each take port 8080 of their node: no room for a surge pod.
    strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    backend: {
      image: { repository, tag, pullPolicy: 'Never' },
      // Pods share the machine's network here (the nodes have no pod network): each binds its
      // node's loopback address, which the downward API gives as the pod IP.
      listenAddress: '$(POD_IP):8080',
      prettyName: 'Wild West Provider',
      oidc: {
        type: 'external',
        issuerUrl: env.dex.issuer,
        clientId: client?.id,
        clientSecretName: 'dex-client',
        clientSecretKey: 'client-secret',
        callbackUrl: `${lbOrigin()}/api/callback`,
        allowedGroups: [dexGroup],
      },
      ...(ha && {
        // A crashed leader's Lease runs out after leaseDuration: long enough that a consumer's
        // bind, started after the crash on a loaded machine, lands while no pod leads.
        leaderElection: { leaseDuration: '45s', renewDeadline: '30s', retryPeriod: '2s' },
        sessionStorage: {
          redisAddress: env.redis.address,
          redisPasswordSecretName: 'redis',
          redisPasswordSecretKey: 'password',
        },
        cookieSecretName: 'cookie-keys',
      }),
    },
  };
}

function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

async function releaseSecrets(): Promise<void> {
  const secrets = new ResourceClient(env.providerAdmin, Secrets, releaseNamespace);
  await new ResourceClient(env.providerAdmin, Namespaces).create({
    metadata: { name: releaseNamespace },
  });
  await secrets.create({
    metadata: { name: 'dex-client' },
    stringData: { 'client-secret': env.dex.clients[0]?.secret ?? '' },
  });
  await secrets.create({
    metadata: { name: 'redis' },
    stringData: { password: env.redisPassword },
  });
  const key = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
  await secrets.create({
    metadata: { name: 'cookie-keys' },
    stringData: { 'cookie-signing-key': key(32), 'cookie-encryption-key': key(32) },
  });
}

/** The backend Deployment's ready pods once it has `replicas` available and no others. */
async function backendPods(replicas: number): Promise<Pod[]> {
  const deployments = new ResourceClient(env.providerAdmin, Deployments, releaseNamespace);
  const pods = new ResourceClient(env.providerAdmin, Pods, releaseNamespace);
  return eventually(
    `${String(replicas)} backend pod(s) to be ready`,
    async () => {
      const [deployment] = (await deployments.list()).items;
      if (!deployment) throw new Error('no Deployment');
      const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const live = (await pods.list({ labelSelector: selector })).items.filter(
        (p) => p.metadata?.deletionTimestamp === undefined,
      );
      if (rolledOut(deployment, replicas) && live.length === replicas && live.every(isReady)) {
        return live;
      }
      // The last state seen, for the timeout's message.
      throw new Error(
        `Deployment status ${JSON.stringify(deployment.status)}; pods ${JSON.stringify(live.map(podSummary))}`,
      );
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

function rolledOut(d: Deployment, replicas: number): boolean {
  const s = d.status;
  return (
    d.spec?.replicas === replicas &&
    s?.observedGeneration === d.metadata?.generation &&
    s?.updatedReplicas === replicas &&
    s.availableReplicas === replicas &&
    (s.replicas ?? 0) === replicas
  );
}

const podSummary = (p: Pod) => ({
  name: p.metadata?.name,
  node: p.spec?.nodeName,
  phase: p.status?.phase,
  conditions: p.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.message ?? ''}`),
  containers: p.status?.containerStatuses?.map((c) => c.state),
});

const isReady = (p: Pod) =>
  p.status?.phase === 'Running' &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Sends the balancer's traffic to these pods (by their node addresses) from now on. */
async function balanceOver(pods: readonly Pod[]): Promise<RoundRobin> {
  await balancer?.close();
  const targets = pods.map((p) => `http://${p.status?.podIP ?? ''}:8080`);
  balancer = await startRoundRobin(targets, env.lbPort);
  return balancer;
}

/** `kubectl bind login` through the balancer, finished in Chromium. */
async function login(): Promise<void> {
  home = home || mkdtempSync(join(env.dir, 'home-'));
  const cli = kubectlBind(home, ['login', lbOrigin(), '--skip-browser'], consumerEnv());
  const url = await cli.printedUrl(/\/api\/authorize\?/);
  const recorded = await newPage(env.browser);
  onTestFinished(() => recorded.close());
  await recorded.page.goto(url.href);
  expect(await cli.exited, cli.stderr()).toBe(0);
}

async function bindingReady(name: string): Promise<kb.APIServiceBinding> {
  const bindings = new ResourceClient(env.consumerAdmin, kb.APIServiceBindings);
  return eventually(
    `APIServiceBinding ${name} to be Ready`,
    async () => {
      const b = await ignoreNotFound(bindings.get(name));
      const ready = b?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      return ready === 'True' ? b : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

/** The contract namespace that a binding's kubeconfig Secret points at. */
async function contractOf(binding: kb.APIServiceBinding): Promise<string> {
  const ref = binding.spec?.kubeconfigSecretRef;
  const secrets = new ResourceClient(env.consumerAdmin, Secrets, ref?.namespace);
  const secret = await secrets.get(ref?.name ?? '');
  const text = Buffer.from(secret.data?.[ref?.key ?? 'kubeconfig'] ?? '', 'base64').toString();
  return /namespace: (\S+)/.exec(text)?.[1] ?? '';
}

/** Creates cowboy `name` on the consumer and waits for it on the provider. */
async function cowboyReachesProvider(contract: string, name: string): Promise<void> {
  const cowboys = new ResourceClient(env.consumerAdmin, Cowboys, 'wild-west');
  await cowboys.create({
    apiVersion: 'wildwest.dev/v1alpha1',
    kind: 'Cowboy',
    metadata: { name },
    spec: { intent: 'ride' },
  });
  const upstream = new ResourceClient(env.providerAdmin, Cowboys, `${contract}-wild-west`);
  await eventually(`${name} on the provider`, () => ignoreNotFound(upstream.get(name)));
}

/** Sets cowboy `name`'s status on the provider and waits for it on the consumer. */
async function statusReachesConsumer(name: string, result: string): Promise<void> {
  const upstream = new ResourceClient(env.providerAdmin, Cowboys, `${contract}-wild-west`);
  await upstream.patch(name, PatchType.merge, { status: { result } }, { subresource: 'status' });
  const cowboys = new ResourceClient(env.consumerAdmin, Cowboys, 'wild-west');
  await eventually(`${name}'s status on the consumer`, async () =>
    (await cowboys.get(name)).status?.result === result ? true : undefined,
  );
}

/** The backend's Lease holder now. */
async function leaseHolder(): Promise<string | undefined> {
  const leases = await new ResourceClient(env.providerAdmin, Leases, releaseNamespace).list();
  return leases.items[0]?.spec?.holderIdentity;
}

/**
 * Kills a backend pod's container with SIGKILL through its node's containerd, as a crash or the
 * OOM killer would: no shutdown hook runs, so the Lease is not released.
 */
async function crash(pod: Pod): Promise<void> {
  const node = env.providerNodes.find((n) => n.name === pod.spec?.nodeName);
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
  if (!node || !id) throw new Error(`no node or container for pod ${pod.metadata?.name ?? ''}`);
  await execFileAsync('ctr', [
    '--address',
    containerdSocket(node.stateDir),
    '--namespace',
    'k8s.io',
    'tasks',
    'kill',
    '--signal',
    'SIGKILL',
    id,
  ]);
}

/** leader_election_master_status of a backend pod (NaN when absent). */
async function leaderStatus(pod: Pod): Promise<number> {
  const res = await fetch(`http://${pod.status?.podIP ?? ''}:8080/metrics`);
  const text = await res.text();
  return Number(/^leader_election_master_status\{[^}]*\} (\d+)$/m.exec(text)?.[1]);
}

/** The one pod whose /metrics says it leads (waits until exactly one does). */
async function leader(pods: readonly Pod[]): Promise<Pod> {
  return eventually('exactly one backend pod to lead', async () => {
    const status = await Promise.all(pods.map(leaderStatus));
    const leading = pods.filter((_, i) => status[i] === 1);
    return status.every((s) => s === 0 || s === 1) && leading.length === 1 ? leading[0] : undefined;
  });
}

let contract = '';

describe('installed with helm, bound with kubectl bind, on real nodes', () => {
  it('helm install: the backend pod from our image becomes Ready', async () => {
    await releaseSecrets();
    helmOnProvider(env, [
      'install',
      release,
      chartDir,
      '--namespace',
      releaseNamespace,
      '--values',
      valuesFile(chartValues(false)),
    ]);
    const [pod] = await backendPods(1);
    expect(pod?.spec?.containers[0]?.image).toBe(env.images.backend.ref);
    // Restricted: non-root, read-only root, no capabilities — and it runs that way.
    expect(pod?.spec?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.spec?.containers[0]?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod?.spec?.nodeName).toBe('provider-1');
    const res = await fetch(`http://${pod?.status?.podIP ?? ''}:8080/readyz`);
    expect(res.status).toBe(200);
    await balanceOver(pod ? [pod] : []);
    // The chart installed the kube-bind.io CRDs; the provider offers its templates.
    await createTemplates(env.providerAdmin);
  });

  it('kubectl bind deploys our konnector, which syncs both ways as its own account', async () => {
    await login();
    const r = await run(
      home,
      ['apiservice', '--template-name', 'cowboys', '--name', 'cowboys'],
      consumerEnv(),
    );
    expect(r.code, r.stderr).toBe(0);
    const konnector = await konnectorPod();
    expect(konnector.spec?.containers[0]?.image).toBe(env.images.konnector.ref);
    expect(konnector.spec?.serviceAccountName).toBe('konnector');
    expect(konnector.spec?.nodeName).toBe('consumer-1');
    await expectLeastPrivilege();

    contract = await contractOf(await bindingReady('cowboys'));
    await new ResourceClient(env.consumerAdmin, Namespaces).create({
      metadata: { name: 'wild-west' },
    });
    await cowboyReachesProvider(contract, 'joe');
    await statusReachesConsumer('joe', 'rode');
  });

  it('helm upgrade to three replicas with Redis: logins span pods, one leads, none is missed', async () => {
    await addProviderNodes(env, 2, 3);
    helmOnProvider(env, [
      'upgrade',
      release,
      chartDir,
      '--namespace',
      releaseNamespace,
      '--values',
      valuesFile(chartValues(true)),
    ]);
    const pods = await backendPods(3);
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(3);
    const lb = await balanceOver(pods);

    // One login, its steps on different pods (the balancer takes turns).
    await login();
    const steps = lb.log.map((l) => l.target);
    expect(new Set(steps).size, JSON.stringify(lb.log)).toBeGreaterThan(1);

    const leading = await leader(pods);
    const lease = (await new ResourceClient(env.providerAdmin, Leases, releaseNamespace).list())
      .items[0];
    expect(lease?.spec?.holderIdentity?.startsWith(`${leading.metadata?.name ?? ''}_`)).toBe(true);
    const heldBefore = lease?.spec?.holderIdentity;

    // A crash, not a shutdown: the leader's process is killed, so it cannot hand the Lease over
    // and no pod leads until the Lease expires (45 s, chartValues). A consumer binds sheriffs meanwhile; its
    // request is seen Pending while the Lease still names the dead process, and reaches
    // Succeeded once another process leads.
    await crash(leading);
    const binding = run(
      home,
      ['apiservice', '--template-name', 'sheriffs', '--name', 'sheriffs'],
      consumerEnv(),
    );
    const requests = new ResourceClient(env.providerAdmin, kb.APIServiceExportRequests, contract);
    const pending = await eventually('the sheriffs request on the provider', async () =>
      (await requests.list()).items.find((r) =>
        r.spec.resources.some((res) => res.resource === 'sheriffs'),
      ),
    );
    expect(pending.status?.phase ?? 'Pending').toBe('Pending');
    expect(await leaseHolder()).toBe(heldBefore);
    const bound = await binding;
    expect(bound.code, bound.stderr).toBe(0);
    await eventually(
      'the sheriffs request to succeed',
      async () => {
        const phase = (await requests.get(pending.metadata?.name ?? '')).status?.phase;
        return phase === 'Succeeded' ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(await leaseHolder()).not.toBe(heldBefore);
    const sheriffContract = await contractOf(await bindingReady('sheriffs'));
    await new ResourceClient(env.consumerAdmin, Sheriffs).create({
      apiVersion: 'wildwest.dev/v1alpha1',
      kind: 'Sheriff',
      metadata: { name: 'wyatt' },
      spec: { intent: 'keep the peace', deputies: 1 },
    });
    await eventually('the sheriff on the provider', () =>
      ignoreNotFound(
        new ResourceClient(env.providerAdmin, Sheriffs).get(`${sheriffContract}-wyatt`),
      ),
    );

    // Then the way operators move pods (a drain, a rollout): the new leader's pod is deleted. The
    // Deployment replaces it, exactly one pod leads again, and both directions keep syncing.
    const second = await leader(await backendPods(3));
    await new ResourceClient(env.providerAdmin, Pods, releaseNamespace).delete(
      second.metadata?.name ?? '',
    );
    const after = await backendPods(3);
    expect(after.map((p) => p.metadata?.name)).not.toContain(second.metadata?.name);
    await leader(after);
    await cowboyReachesProvider(contract, 'jim');
    await statusReachesConsumer('jim', 'rode again');
  }, 300_000);

  it('helm uninstall leaves the CRDs, the consumers and their syncing alone', async () => {
    helmOnProvider(env, ['uninstall', release, '--namespace', releaseNamespace, '--wait']);
    const deployments = new ResourceClient(env.providerAdmin, Deployments, releaseNamespace);
    await eventually('the backend Deployment to be gone', async () =>
      (await deployments.list()).items.length === 0 ? true : undefined,
    );
    const crds = new ResourceClient(env.providerAdmin, CustomResourceDefinitions);
    expect(await crds.get('apiserviceexports.kube-bind.io')).toBeDefined();
    const exports = new ResourceClient(env.providerAdmin, kb.APIServiceExports, contract);
    expect((await exports.list()).items.map((e) => e.metadata?.name)).toContain('cowboys');
    // The konnector talks to the provider's API server, not to the backend: it keeps syncing.
    await cowboyReachesProvider(contract, 'sam');
  });
});

/** The konnector pod kubectl bind's Deployment runs, once it is ready. */
async function konnectorPod(): Promise<Pod> {
  const pods = new ResourceClient(env.consumerAdmin, Pods, 'kube-bind');
  return eventually(
    'a ready konnector pod',
    async () => (await pods.list({ labelSelector: 'app=konnector' })).items.find(isReady),
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}

/** The konnector's service account may do what syncing needs, and not more. */
async function expectLeastPrivilege(): Promise<void> {
  const sa = 'system:serviceaccount:kube-bind:konnector';
  const can = async (attrs: Record<string, string>) => {
    const review = await new ResourceClient(env.consumerAdmin, SubjectAccessReviews).create({
      spec: { user: sa, resourceAttributes: attrs },
    });
    return review.status?.allowed === true;
  };
  expect(await can({ group: 'kube-bind.io', resource: 'apiservicebindings', verb: 'watch' })).toBe(
    true,
  );
  expect(await can({ resource: 'secrets', verb: 'list' })).toBe(false);
  expect(
    await can({
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterrolebindings',
      verb: 'create',
    }),
  ).toBe(false);
  expect(await can({ resource: 'pods', verb: 'create', namespace: 'kube-system' })).toBe(false);
}
