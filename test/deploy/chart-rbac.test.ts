// The chart's RBAC is enough, and no more than the backend uses (issue 18, item 2): the real
// backend runs with the rendered Deployment's args as the chart's ServiceAccount (a TokenRequest
// token; its rights are exactly the rendered ClusterRole and Role) against a private
// kube-apiserver that writes an audit log, and carries a whole bind: a CLI login, POST /api/bind,
// an export request with a permission claim reaching Succeeded, the consumer's grants, then the
// unbind's clean-up. The audit log then shows no request of the backend was forbidden, and that
// every rule of the chart was used by some request.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { Cowboys, wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import type { BindingResponse } from '../../src/apis/kubebind/documents.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { installCRDs, isEstablished } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  CustomResourceDefinitions,
  Leases,
  Namespaces,
  RoleBindings,
  Roles,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import { cliLogin } from '../backend/http/front-door.ts';
import { clientFromKubeconfig } from '../harness/consumers.ts';
import { controlPlane, eventually } from '../harness/context.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { buildKubeconfig } from '../harness/kubeconfig.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess } from '../harness/process.ts';
import { repoRoot } from '../harness/tools.ts';
import { apply, find, releaseNamespace, render, valuesFile, type Rendered } from './chart.ts';

let dir: string;
let auditLog: string;
let cluster: KubeCluster;
let admin: KubeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'chart-rbac-'));
  auditLog = join(dir, 'audit.log');
  const policy = join(dir, 'audit-policy.yaml');
  // Metadata of every request is enough: who, verb, resource, and the answer's code.
  writeFileSync(
    policy,
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n',
  );
  cluster = await startKubeCluster({
    name: 'chart-rbac',
    baseDir: dir,
    apiserverArgs: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`],
  });
  admin = new KubeClient(cluster.adminConnection());
}, 180_000);

afterAll(async () => {
  await admin.close();
  await cluster.stop();
});

interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; name?: string };
  responseStatus?: { code?: number };
  stage: string;
}

function auditOf(username: string): AuditEvent[] {
  return readFileSync(auditLog, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.user.username === username && e.stage === 'ResponseComplete');
}

/** `group/resource[/subresource]:verb` of a request. */
function requestKey(e: AuditEvent): string {
  const ref = e.objectRef ?? {};
  const resource = ref.subresource ? `${ref.resource ?? ''}/${ref.subresource}` : ref.resource;
  return `${ref.apiGroup ?? ''}/${resource ?? ''}:${e.verb}`;
}

/** Whether a request is one that `rule` allows (escalate and bind are no request verbs). */
function ruleAllows(rule: PolicyRule, e: AuditEvent): boolean {
  const ref = e.objectRef ?? {};
  const resource = ref.subresource ? `${ref.resource ?? ''}/${ref.subresource}` : ref.resource;
  return (
    (rule.apiGroups ?? []).includes(ref.apiGroup ?? '') &&
    (rule.resources ?? []).includes(resource ?? '') &&
    rule.verbs.includes(e.verb)
  );
}

async function installChartRBAC(objects: readonly Rendered[]): Promise<void> {
  await new ResourceClient(admin, Namespaces).create({ metadata: { name: releaseNamespace } });
  const kinds = [
    'CustomResourceDefinition',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'ServiceAccount',
    'Secret',
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
  ];
  for (const obj of objects.filter((o) => kinds.includes(o.kind))) await apply(admin, obj, false);
  const crds = new ResourceClient(admin, CustomResourceDefinitions);
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    await eventually(`${crd.metadata.name} to be Established`, async () =>
      isEstablished(await crds.get(crd.metadata.name)) ? true : undefined,
    );
  }
}

/** A kubeconfig of the chart's ServiceAccount, with a token from the TokenRequest API. */
async function serviceAccountKubeconfig(name: string): Promise<string> {
  const review = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${releaseNamespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const conn = cluster.adminConnection();
  const path = join(dir, 'backend.kubeconfig');
  writeFileSync(
    path,
    buildKubeconfig({
      name: 'chart-backend',
      user: `system:serviceaccount:${releaseNamespace}:${name}`,
      server: conn.server,
      caPem: conn.caPem ?? '',
      token: review.status.token,
    }),
  );
  return path;
}

interface DeploymentSpec {
  template: {
    spec: { containers: { args: string[]; resources?: { requests?: Record<string, string> } }[] };
  };
}

function containerArgs(deployment: Rendered): string[] {
  const spec = deployment['spec'] as DeploymentSpec;
  return spec.template.spec.containers[0]?.args ?? [];
}

/** process_resident_memory_bytes from the backend's /metrics. */
async function residentMemory(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes '));
  return Number(line?.split(' ')[1]);
}

async function startBackend(args: readonly string[], origin: string): Promise<ManagedProcess> {
  const proc = new ManagedProcess({
    name: 'chart-backend',
    command: join(repoRoot, 'bin/backend'),
    args,
    logDir: dir,
    // What the chart's downward API sets in a pod.
    env: { LOG_LEVEL: 'info', POD_NAMESPACE: releaseNamespace, POD_NAME: 'kb-backend-0' },
  });
  await eventually(
    'the backend to be ready',
    async () => {
      if (!proc.running) throw new Error(`backend exited: ${proc.tail()}`);
      const res = await fetch(`${origin}/readyz`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return proc;
}

describe("the chart's RBAC", () => {
  it('carries a whole bind and its clean-up, with every rule used and none missing', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const objects = render([
      valuesFile({
        backend: {
          listenAddress: `127.0.0.1:${port}`,
          namespacePrefix: 'kb-',
          prettyName: 'Chart RBAC',
          oidc: {
            type: 'embedded',
            issuerUrl: `${origin}/oidc`,
            callbackUrl: `${origin}/api/callback`,
          },
        },
      }),
    ]);
    await installChartRBAC(objects);
    const serviceAccount = find(objects, 'ServiceAccount').metadata.name;
    const kubeconfig = await serviceAccountKubeconfig(serviceAccount);
    const backend = await startBackend(
      [...containerArgs(find(objects, 'Deployment')), `--kubeconfig=${kubeconfig}`],
      origin,
    );
    let residentBytes: number;
    try {
      await bindAndUnbind(origin);
      residentBytes = await residentMemory(origin);
    } finally {
      await backend.stop();
    }

    const username = `system:serviceaccount:${releaseNamespace}:${serviceAccount}`;
    const events = auditOf(username);
    // Per resource and verb, what the backend did, for whoever tightens the rules next.
    const used = [...new Set(events.map(requestKey))].sort();
    writeFileSync(join(dir, 'backend-requests.txt'), used.join('\n') + '\n');
    const forbidden = events.filter((e) => e.responseStatus?.code === 403).map(requestKey);
    expect(forbidden).toEqual([]);

    const rules = [
      ...((find(objects, 'ClusterRole')['rules'] as PolicyRule[] | undefined) ?? []),
      ...((find(objects, 'Role')['rules'] as PolicyRule[] | undefined) ?? []),
    ];
    const requestRules = rules.filter((r) => !r.verbs.includes('escalate'));
    const unused = requestRules.filter((rule) => !events.some((e) => ruleAllows(rule, e)));
    expect(unused).toEqual([]);
    expect(used.length).toBeGreaterThan(10);
    // The chart's default memory request covers the backend after a bind (figure in the log).
    const request = (find(objects, 'Deployment')['spec'] as DeploymentSpec).template.spec
      .containers[0]?.resources?.requests?.['memory'];
    expect(request).toBe('256Mi');
    console.log(
      `backend resident memory after a bind: ${(residentBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(residentBytes).toBeLessThan(256 * 2 ** 20);
  }, 240_000);
});

/** A consumer's bind through the front door, the export request, then the unbind's clean-up. */
async function bindAndUnbind(origin: string): Promise<void> {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const template = 'cowboys';
  await new ResourceClient(admin, kb.APIServiceExportTemplates).create({
    metadata: { name: template },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [
        { resource: 'secrets', selector: { labelSelector: { matchLabels: { app: 'cowboy' } } } },
      ],
    },
  });
  const login = await cliLogin(origin);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${origin}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${login.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
    });
  // The cluster controller grants the embedded user `bind` (kube-bind-oidc-user).
  await eventually('the user to be allowed to bind', async () =>
    (await api('/api/templates')).ok ? true : undefined,
  );
  const identity = randomUUID();
  const res = await api('/api/bind', {
    method: 'POST',
    body: JSON.stringify({
      metadata: { name: 'my-cowboys' },
      spec: { templateRef: { name: template }, clusterIdentity: { identity }, author: '' },
    }),
  });
  expect(res.status).toBe(200);
  const response = (await res.json()) as BindingResponse;
  const contract = response.providerNamespace;
  const consumer = await clientFromKubeconfig(
    Buffer.from(response.kubeconfig, 'base64').toString('utf8'),
  );
  const requests = new ResourceClient(consumer, kb.APIServiceExportRequests, contract);
  await requests.create({
    metadata: { name: 'my-cowboys' },
    spec: response.requests[0]?.spec ?? { resources: [] },
  });
  const phase = await eventually('the request to finish', async () => {
    const r = await requests.get('my-cowboys');
    return r.status?.phase === 'Pending' || !r.status?.phase ? undefined : r.status.phase;
  });
  expect(phase).toBe('Succeeded');
  await new ResourceClient(admin, ServiceAccounts, contract).get('kube-binder');
  await new ResourceClient(admin, RoleBindings, contract).get('kube-binder');
  // The backend granted the consumer what it does not hold itself (escalate, bind): cowboys and
  // the claimed secrets in the contract namespace.
  const cowboys = await eventually('the consumer to be granted cowboys', async () =>
    new ResourceClient(consumer, Cowboys, contract).list(),
  );
  expect(cowboys.items).toEqual([]);
  const lease = await new ResourceClient(admin, Leases, releaseNamespace).get('kb-backend');
  expect(lease.spec?.holderIdentity).toContain('kb-backend-0');

  // A consumer namespace with bound objects gets a service namespace on the provider, with grants;
  // the konnector removes its APIServiceNamespace when it is done, and the backend the namespace.
  const serviceNamespaces = new ResourceClient(consumer, kb.APIServiceNamespaces, contract);
  await serviceNamespaces.create({ metadata: { name: 'default' } });
  const serviceNamespace = await eventually('the service namespace', async () => {
    const sn = await serviceNamespaces.get('default');
    return sn.status?.namespace;
  });
  await new ResourceClient(consumer, Cowboys, serviceNamespace).list();
  await serviceNamespaces.delete('default');
  await eventually('the service namespace to go', async () => {
    const ns = await new ResourceClient(admin, Namespaces)
      .get(serviceNamespace)
      .catch(() => undefined);
    return ns === undefined || ns.metadata?.deletionTimestamp ? true : undefined;
  });

  // Unbinding: the export goes, and with it the grants the backend made for it.
  await new ResourceClient(admin, kb.APIServiceExports, contract).delete('my-cowboys');
  await eventually('the grants for the export to go', async () => {
    const grants = await new ResourceClient(admin, Roles, contract).list();
    return grants.items.some((r) => r.metadata?.annotations?.['kube-bind.io/export'])
      ? undefined
      : true;
  });
}
