// The backend's Helm chart (deploy/charts/backend) driven with the real helm: render it with a
// values file, and send what it renders to a real kube-apiserver (server-side apply, for real or
// as a dry run). Shared by the chart's tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/client.ts';
import { PatchType } from '../../src/kube/client.ts';
import { repoRoot, toolPath } from '../harness/tools.ts';

export const chartDir = join(repoRoot, 'deploy', 'charts', 'backend');
export const fixtureDir = join(repoRoot, 'test', 'fixtures', 'chart');

/** A rendered object; only the fields the tests look at are typed. */
export interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

// helm keeps caches and its repository config under these; a test must not touch the user's.
const helmHome = mkdtempSync(join(tmpdir(), 'kbt-helm-'));

/** Runs helm; `kubeconfig` for the commands that talk to a cluster (install, upgrade, …). */
export function helm(args: readonly string[], kubeconfig?: string): HelmRun {
  const run = spawnSync(toolPath('helm'), args, {
    encoding: 'utf8',
    cwd: repoRoot,
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
      KUBECONFIG: kubeconfig ?? join(helmHome, 'no-kubeconfig'),
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Writes `values` as a values file and returns its path. */
export function valuesFile(values: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kbt-values-')), 'values.yaml');
  writeFileSync(path, stringify(values));
  return path;
}

export const releaseName = 'kb';
export const releaseNamespace = 'kube-bind';

/** `helm template` with the given values files; throws with helm's message when it fails. */
export function render(
  valueFiles: readonly string[] = [],
  namespace = releaseNamespace,
): Rendered[] {
  const run = helm(templateArgs(valueFiles, namespace));
  if (run.status !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((obj): obj is Rendered => obj !== null);
}

export function templateArgs(
  valueFiles: readonly string[],
  namespace = releaseNamespace,
): string[] {
  return [
    'template',
    releaseName,
    chartDir,
    '--namespace',
    namespace,
    ...valueFiles.flatMap((f) => ['--values', f]),
  ];
}

export function find(objects: readonly Rendered[], kind: string, name?: string): Rendered {
  const found = objects.find(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return found;
}

/** Where each kind the chart renders is served (group path, plural, namespaced). */
const served: Readonly<Record<string, readonly [string, string, boolean]>> = {
  ServiceAccount: ['/api/v1', 'serviceaccounts', true],
  Secret: ['/api/v1', 'secrets', true],
  Service: ['/api/v1', 'services', true],
  Namespace: ['/api/v1', 'namespaces', false],
  Deployment: ['/apis/apps/v1', 'deployments', true],
  ClusterRole: ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  ClusterRoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'clusterrolebindings', false],
  Role: ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  RoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  PodDisruptionBudget: ['/apis/policy/v1', 'poddisruptionbudgets', true],
  HorizontalPodAutoscaler: ['/apis/autoscaling/v2', 'horizontalpodautoscalers', true],
  CustomResourceDefinition: ['/apis/apiextensions.k8s.io/v1', 'customresourcedefinitions', false],
  ValidatingAdmissionPolicy: [
    '/apis/admissionregistration.k8s.io/v1',
    'validatingadmissionpolicies',
    false,
  ],
  ValidatingAdmissionPolicyBinding: [
    '/apis/admissionregistration.k8s.io/v1',
    'validatingadmissionpolicybindings',
    false,
  ],
  ServiceMonitor: ['/apis/monitoring.coreos.com/v1', 'servicemonitors', true],
  Gateway: ['/apis/gateway.networking.k8s.io/v1', 'gateways', true],
  HTTPRoute: ['/apis/gateway.networking.k8s.io/v1', 'httproutes', true],
};

export function objectPath(obj: Rendered, namespace = releaseNamespace): string {
  const where = served[obj.kind];
  if (!where) throw new Error(`the tests do not know where ${obj.kind} is served`);
  const [base, plural, namespaced] = where;
  const ns = namespaced ? `/namespaces/${obj.metadata.namespace ?? namespace}` : '';
  return `${base}${ns}/${plural}/${obj.metadata.name}`;
}

/**
 * Server-side apply of one rendered object; with dryRun the server validates and admits it
 * (schema, defaulting, admission) without storing anything.
 */
export function apply(client: KubeClient, obj: Rendered, dryRun: boolean): Promise<unknown> {
  return client.request('PATCH', objectPath(obj), {
    body: obj,
    contentType: PatchType.apply,
    query: {
      fieldManager: 'kube-bind-ts-chart-test',
      force: true,
      ...(dryRun && { dryRun: 'All' }),
    },
  });
}
