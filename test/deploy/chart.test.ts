// The backend's Helm chart with the real helm (issue 18, item 2): lint, render with the defaults,
// with an operator's values file written for upstream's chart, with three replicas behind Redis,
// and behind a Gateway API Gateway (checked against Gateway API's own CRDs); what it renders is what running the backend safely needs, and the real kube-apiserver
// admits all of it (server-side dry run; the pod also under Pod Security "restricted"). Values the
// chart cannot honour fail with a message instead of being ignored.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { KubeClient } from '../../src/kube/client.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Namespaces } from '../../src/kube/resources.ts';
import { kubeAdmin, testNamespace } from '../harness/context.ts';
import { gatewayApiCRDsDir, repoRoot } from '../harness/tools.ts';
import {
  apply,
  chartDir,
  find,
  fixtureDir,
  helm,
  render,
  templateArgs,
  valuesFile,
  type Rendered,
} from './chart.ts';

const upstream = join(fixtureDir, 'upstream-values.yaml');
const ha = join(fixtureDir, 'ha-values.yaml');
const gateway = join(fixtureDir, 'gateway-values.yaml');
const valueSets: Record<string, string[]> = {
  defaults: [],
  upstream: [upstream],
  ha: [ha],
  gateway: [gateway],
};

function podSpec(objects: readonly Rendered[]): PodSpec {
  return (find(objects, 'Deployment')['spec'] as { template: { spec: PodSpec } }).template.spec;
}

function container(objects: readonly Rendered[]): Container {
  const c = podSpec(objects).containers[0];
  if (!c) throw new Error('no container');
  return c;
}

function envSource(c: Container, name: string): unknown {
  return c.env?.find((e) => e.name === name)?.valueFrom;
}

function failure(values: unknown): string {
  const run = helm(templateArgs([valuesFile(values)]));
  expect(run.status).not.toBe(0);
  return run.stderr;
}

describe('the backend chart', () => {
  it('passes helm lint --strict with every value set', () => {
    for (const [name, files] of Object.entries(valueSets)) {
      const run = helm(['lint', '--strict', chartDir, ...files.flatMap((f) => ['--values', f])]);
      expect(run.status, `${name}: ${run.stdout}${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('0 chart(s) failed');
    }
  });

  it('renders a restricted, probed, leader-electing backend by default', () => {
    const objects = render();
    const c = container(objects);
    expect(c.image).toBe('ghcr.io/kube-bind-ts/backend:v0.1.0');
    expect(podSpec(objects).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.resources?.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--listen-address=0.0.0.0:8080',
        '--install-crds=false',
        '--leader-elect=true',
        '--leader-election-namespace=kube-bind',
        '--leader-election-id=kb-backend',
      ]),
    );
    expect(envSource(c, 'POD_IP')).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(envSource(c, 'POD_NAMESPACE')).toEqual({
      fieldRef: { fieldPath: 'metadata.namespace' },
    });
    // One replica: no budget to keep; no ServiceMonitor unless asked.
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    const service = find(objects, 'Service')['spec'] as { ports: { name: string }[] };
    expect(service.ports.map((p) => p.name)).toEqual(['http', 'metrics']);
  });

  it('grants no wildcard, and the Lease only in the release namespace', () => {
    const objects = render();
    const rules = objects
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .flatMap((o) => (o['rules'] as PolicyRule[] | undefined) ?? []);
    for (const rule of rules) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) {
        expect(field ?? [], JSON.stringify(rule)).not.toContain('*');
      }
    }
    const clusterRules = (find(objects, 'ClusterRole')['rules'] as PolicyRule[]).flatMap(
      (r) => r.apiGroups ?? [],
    );
    expect(clusterRules).not.toContain('coordination.k8s.io');
    const role = find(objects, 'Role');
    expect(role.metadata.namespace).toBe('kube-bind');
    expect(JSON.stringify(role['rules'])).toContain('leases');
  });

  it('installs the CRDs from deploy/crd as templates, kept on uninstall, and can leave them', () => {
    const objects = render();
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    const committed = readdirSync(join(repoRoot, 'deploy', 'crd')).map(
      (f) => parse(readFileSync(join(repoRoot, 'deploy', 'crd', f), 'utf8')) as Rendered,
    );
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(
      committed.map((c) => c.metadata.name).sort(),
    );
    for (const crd of crds) {
      const source = committed.find((c) => c.metadata.name === crd.metadata.name);
      expect(crd['spec'], crd.metadata.name).toEqual(source?.['spec']);
      expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    }
    expect(find(objects, 'ValidatingAdmissionPolicy').metadata.annotations).toEqual({
      'helm.sh/resource-policy': 'keep',
    });
    const notKept = render([valuesFile({ crds: { keep: false } })]);
    expect(find(notKept, 'CustomResourceDefinition').metadata.annotations ?? {}).toEqual({});
    const none = render([valuesFile({ crds: { install: false } })]);
    expect(none.filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
  });

  it("takes an upstream values file: upstream's keys, plain-text secrets moved into a Secret", () => {
    const objects = render([upstream]);
    const c = container(objects);
    expect(c.image).toBe('registry.example.com/kube-bind-ts/backend:v0.1.0');
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--external-address=https://api.provider.example.com:6443',
        '--external-server-name=api.provider.example.com',
        '--oidc-type=external',
        '--oidc-issuer-url=https://login.example.com/realms/platform',
        '--oidc-issuer-client-id=kube-bind',
        '--oidc-callback-url=https://bind.example.com/api/callback',
        '--oidc-allowed-groups=platform-users,sre',
        '--redis-addr=redis.kube-bind.svc:6379',
        '--pretty-name=Example Provider',
        '--namespace-prefix=kube-bind-',
        '--consumer-scope=namespaced',
        '--isolation=Prefixed',
        '-v=4',
        '--token-expiry=2h',
      ]),
    );
    // Secrets never in args: the plain-text ones live in the chart's Secret, read from env.
    const args = (c.args ?? []).join(' ');
    for (const secret of ['upstream-style-plain-password', 'AQEBAQ', 'AgICAg']) {
      expect(args).not.toContain(secret);
    }
    expect(envSource(c, 'OIDC_CLIENT_SECRET')).toEqual({
      secretKeyRef: { name: 'kube-bind-oidc', key: 'client-secret' },
    });
    expect(envSource(c, 'REDIS_PASSWORD')).toEqual({
      secretKeyRef: { name: 'kb-backend-credentials', key: 'redis-password' },
    });
    expect(envSource(c, 'COOKIE_SIGNING_KEY')).toEqual({
      secretKeyRef: { name: 'kb-backend-credentials', key: 'cookie-signing-key' },
    });
    expect(find(objects, 'Secret', 'kb-backend-credentials')['stringData']).toEqual({
      'redis-password': 'upstream-style-plain-password',
      'cookie-signing-key': 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=',
      'cookie-encryption-key': 'AgICAgICAgICAgICAgICAg==',
    });
    const pod = podSpec(objects);
    expect(pod.hostAliases).toEqual([{ ip: '10.0.0.10', hostnames: ['login.example.com'] }]);
    expect(pod.tolerations?.[0]?.key).toBe('dedicated');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(c.volumeMounts?.map((m) => m.mountPath)).toEqual(['/tmp', '/etc/extra-ca']);
    // Upstream's probe on /healthz is kept as given.
    expect(c.readinessProbe?.httpGet?.path).toBe('/healthz');
    const service = find(objects, 'Service')['spec'] as { type: string; ports: unknown[] };
    expect(service.type).toBe('NodePort');
    expect(service.ports[0]).toMatchObject({ port: 8080, nodePort: 30080 });
  });

  it('runs three replicas with Redis, keys from a Secret, a PDB and a ServiceMonitor', () => {
    const objects = render([ha]);
    expect((find(objects, 'Deployment')['spec'] as { replicas: number }).replicas).toBe(3);
    const c = container(objects);
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--listen-address=$(POD_IP):8080',
        '--redis-addr=redis.kube-bind.svc:6379',
        '--leader-elect=true',
      ]),
    );
    expect(envSource(c, 'REDIS_PASSWORD')).toEqual({
      secretKeyRef: { name: 'kube-bind-redis', key: 'password' },
    });
    expect(envSource(c, 'COOKIE_SIGNING_KEY')).toEqual({
      secretKeyRef: { name: 'kube-bind-cookie-keys', key: 'cookie-signing-key', optional: false },
    });
    expect(envSource(c, 'COOKIE_ENCRYPTION_KEY')).toEqual({
      secretKeyRef: {
        name: 'kube-bind-cookie-keys',
        key: 'cookie-encryption-key',
        optional: false,
      },
    });
    expect(envSource(c, 'TOKEN_SIGNING_KEY')).toEqual({
      secretKeyRef: { name: 'kube-bind-cookie-keys', key: 'token-signing-key', optional: true },
    });
    // No plain-text credentials given: the chart makes no Secret of its own.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(find(objects, 'PodDisruptionBudget')['spec']).toMatchObject({ maxUnavailable: 1 });
    expect(find(objects, 'ServiceMonitor')['spec']).toMatchObject({
      endpoints: [{ port: 'metrics', path: '/metrics' }],
    });
  });

  it('serves HTTPS from a TLS Secret, probes following, and scales with an HPA', () => {
    const objects = render([
      valuesFile({
        backend: { tls: { enabled: true, certSecretName: 'backend-tls' } },
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 },
      }),
      valuesFile({ backend: { sessionStorage: { redisAddress: 'redis:6379' } } }),
    ]);
    const c = container(objects);
    expect(c.ports?.[0]).toMatchObject({ name: 'https', containerPort: 8080 });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--tls-cert-file=/etc/kube-bind/tls/tls.crt',
        '--tls-key-file=/etc/kube-bind/tls/tls.key',
      ]),
    );
    expect(podSpec(objects).volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'backend-tls' },
    });
    expect(find(objects, 'Deployment')['spec']).not.toHaveProperty('replicas');
    expect(find(objects, 'HorizontalPodAutoscaler')['spec']).toMatchObject({ maxReplicas: 4 });
    // Up to four replicas: the budget applies.
    find(objects, 'PodDisruptionBudget');
  });

  it('puts a Gateway in front: HTTPS to the backend, plain HTTP only redirects', () => {
    const objects = render([gateway]);
    const gw = find(objects, 'Gateway');
    expect(gw.metadata.annotations).toEqual({ 'example.com/owner': 'platform' });
    expect(gw['spec']).toEqual({
      gatewayClassName: 'example-gateways',
      listeners: [
        {
          name: 'https',
          protocol: 'HTTPS',
          port: 8443,
          tls: { mode: 'Terminate', certificateRefs: [{ name: 'bind-example-com-tls' }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
        {
          name: 'http',
          protocol: 'HTTP',
          port: 80,
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
      ],
    });
    const service = find(objects, 'Service');
    const servicePort = (service['spec'] as { ports: { port: number }[] }).ports[0]?.port;
    const routes = objects.filter((o) => o.kind === 'HTTPRoute');
    expect(routes.map((r) => r['spec'])).toEqual([
      {
        parentRefs: [{ name: gw.metadata.name, sectionName: 'https' }],
        hostnames: ['bind.example.com'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [{ name: service.metadata.name, port: servicePort }],
          },
        ],
      },
      {
        parentRefs: [{ name: gw.metadata.name, sectionName: 'http' }],
        hostnames: ['bind.example.com'],
        rules: [
          {
            filters: [
              {
                type: 'RequestRedirect',
                requestRedirect: { scheme: 'https', statusCode: 301, port: 8443 },
              },
            ],
          },
        ],
      },
    ]);
    expect(routes[0]?.metadata.annotations).toEqual({ 'example.com/route': 'backend' });
    expect(objects.some((o) => o.kind === 'Certificate')).toBe(false);
  });

  it("has cert-manager issue the Gateway's certificate for the route's hostnames", () => {
    const objects = render([
      gateway,
      valuesFile({
        certManager: { enabled: true, clusterIssuer: 'letsencrypt' },
        gatewayApi: { gateway: { tls: { certificateRefs: [] } } },
      }),
    ]);
    const certificate = find(objects, 'Certificate');
    expect(certificate['spec']).toEqual({
      secretName: certificate.metadata.name,
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' },
      dnsNames: ['bind.example.com'],
    });
    const listeners = (find(objects, 'Gateway')['spec'] as { listeners: unknown[] }).listeners;
    expect(listeners[0]).toMatchObject({
      tls: { certificateRefs: [{ kind: 'Secret', name: certificate.metadata.name }] },
    });
  });

  it('refuses what it cannot honour, naming the value', () => {
    expect(failure({ certManager: { enabled: true } })).toContain(
      "certManager.enabled issues the Gateway's certificate and needs gatewayApi.enabled",
    );
    expect(failure({ gatewayApi: { enabled: true } })).toContain(
      'gatewayApi.enabled needs gatewayApi.gateway.className',
    );
    const gatewayOn = { enabled: true, gateway: { className: 'x' } };
    expect(failure({ gatewayApi: gatewayOn })).toContain(
      "gatewayApi.enabled needs the HTTPS listener's certificate",
    );
    expect(failure({ gatewayApi: gatewayOn, certManager: { enabled: true } })).toContain(
      'certManager.enabled needs certManager.clusterIssuer',
    );
    expect(
      failure({ gatewayApi: gatewayOn, certManager: { enabled: true, clusterIssuer: 'ca' } }),
    ).toContain('certManager.enabled needs gatewayApi.route.hostnames');
    expect(
      failure({
        gatewayApi: {
          ...gatewayOn,
          gateway: { className: 'x', tls: { certificateRefs: [{ name: 'c' }] } },
        },
        backend: { tls: { enabled: true, certSecretName: 'tls' } },
      }),
    ).toContain('gatewayApi.enabled terminates TLS at the Gateway');
    expect(failure({ gatewayApi: { route: { hostnames: ['Not A Host'] } } })).toContain(
      '/gatewayApi/route/hostnames/0',
    );
    expect(failure({ examples: { enabled: true } })).toContain('examples.enabled');
    expect(failure({ replicaCount: 3 })).toContain(
      'more than one replica needs backend.sessionStorage.redisAddress',
    );
    expect(failure({ backend: { multiclusterRuntimeProvider: 'kcp' } })).toContain(
      'backend.multiclusterRuntimeProvider "kcp"',
    );
    expect(failure({ backend: { tls: { enabled: true } } })).toContain(
      'backend.tls.enabled needs backend.tls.certSecretName',
    );
    // The schema: unknown keys at the top and in backend, and wrong types.
    expect(failure({ replicas: 2 })).toContain("additional properties 'replicas' not allowed");
    expect(failure({ backend: { listenAdress: ':8080' } })).toContain(
      "additional properties 'listenAdress' not allowed",
    );
    expect(failure({ replicaCount: 'three' })).toContain('/replicaCount');
    expect(failure({ backend: { oidc: { type: 'dex' } } })).toContain('/backend/oidc/type');
  });
});

describe('what the chart renders, sent to the real kube-apiserver', () => {
  it('and Pod Security "restricted" refuses the pod once privilege escalation is allowed', async () => {
    const admin = await kubeAdmin();
    const namespace = await restrictedNamespace(admin);
    const objects = render(
      [valuesFile({ securityContext: { allowPrivilegeEscalation: true } })],
      namespace,
    );
    await expect(dryRunPod(admin, namespace, objects)).rejects.toThrow(/violates PodSecurity/);
  });

  it("and Gateway API's CRDs refuse the Gateway once its HTTPS listener has no certificate", async () => {
    const admin = await kubeAdmin();
    await installCRDs(admin, gatewayApiCRDs(), { fieldManager: 'kube-bind-ts-tests' });
    const namespace = await testNamespace(admin, 'chart');
    const gw = find(render([gateway], namespace), 'Gateway');
    await apply(admin, gw, true);
    const spec = gw['spec'] as { listeners: { tls?: { certificateRefs?: unknown[] } }[] };
    const [https] = spec.listeners;
    if (https?.tls) https.tls.certificateRefs = [];
    await expect(apply(admin, gw, true)).rejects.toThrow(/certificateRefs/);
  });

  for (const [name, files] of Object.entries(valueSets)) {
    it(`admits every object of the ${name} values (dry run), the pod as "restricted"`, async () => {
      const admin = await kubeAdmin();
      // The ServiceMonitor's kind, as far as the chart uses it (the Prometheus Operator is not
      // installed in the test cluster): group, version, kind and the fields the chart sets.
      await installCRDs(admin, [serviceMonitorCRD()], { fieldManager: 'kube-bind-ts-tests' });
      // Gateway API's own CRDs of the pinned release, with their validation rules.
      await installCRDs(admin, gatewayApiCRDs(), { fieldManager: 'kube-bind-ts-tests' });
      const namespace = await restrictedNamespace(admin);
      const objects = render(files, namespace);
      for (const obj of objects) await apply(admin, obj, true);
      await dryRunPod(admin, namespace, objects);
      expect(objects.length).toBeGreaterThan(20);
    });
  }
});

async function restrictedNamespace(admin: KubeClient): Promise<string> {
  const namespace = await testNamespace(admin, 'chart');
  await new ResourceClient(admin, Namespaces).patch(namespace, 'application/merge-patch+json', {
    metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  return namespace;
}

/** Pod Security admission judges pods, not Deployments: a pod of the template must pass. */
function dryRunPod(admin: KubeClient, namespace: string, objects: readonly Rendered[]) {
  return admin.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    query: { dryRun: 'All' },
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chart-pod' },
      spec: podSpec(objects),
    },
  });
}

function gatewayApiCRDs(): CustomResourceDefinition[] {
  const dir = gatewayApiCRDsDir();
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')))
    .map((doc) => doc.toJS() as CustomResourceDefinition | null)
    .filter((crd): crd is CustomResourceDefinition => crd?.kind === 'CustomResourceDefinition');
}

function serviceMonitorCRD(): CustomResourceDefinition {
  const endpoint = {
    type: 'object',
    properties: {
      port: { type: 'string' },
      path: { type: 'string' },
      interval: { type: 'string' },
      scheme: { type: 'string', enum: ['http', 'https'] },
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      names: {
        kind: 'ServiceMonitor',
        listKind: 'ServiceMonitorList',
        plural: 'servicemonitors',
        singular: 'servicemonitor',
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['selector', 'endpoints'],
                  properties: {
                    selector: {
                      type: 'object',
                      properties: {
                        matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
                      },
                    },
                    endpoints: { type: 'array', items: endpoint },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
