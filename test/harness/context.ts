// What a test uses from the shared control plane: clients for the admin and for any user, a
// namespace of its own, and polling with a deadline.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { inject, onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import type { SharedControlPlane } from './control-plane.ts';
import { loadCertificateAuthority } from './pki.ts';

export function controlPlane(): SharedControlPlane {
  return inject('controlPlane');
}

/** A client for `kubeconfigPath`, closed when the current test finishes. */
export async function clientFor(kubeconfigPath: string, context?: string): Promise<KubeClient> {
  const conn = await connectionFromKubeconfig({
    file: kubeconfigPath,
    ...(context && { context }),
  });
  return closedAfterTest(new KubeClient(conn, { userAgent: 'kube-bind-ts-tests' }));
}

/** The admin (system:masters) of the shared Kubernetes cluster. */
export function kubeAdmin(): Promise<KubeClient> {
  return clientFor(controlPlane().kube.kubeconfigPath);
}

/** The kcp admin, in the logical cluster `clusterPath` (e.g. `root`, `root:team-a`). */
export async function kcpAdmin(clusterPath = 'root'): Promise<KubeClient> {
  const { kcp } = controlPlane();
  if (!kcp) throw new Error('kcp is not part of this run (KBT_TEST_COMPONENTS)');
  const conn = await connectionFromKubeconfig({ file: kcp.kubeconfigPath });
  const server = `${new URL(conn.server).origin}/clusters/${clusterPath}`;
  return closedAfterTest(new KubeClient({ ...conn, server }, { userAgent: 'kube-bind-ts-tests' }));
}

/** A client authenticated as `user` in `groups`, by a client certificate from the cluster's CA. */
export async function kubeAs(user: string, groups: readonly string[] = []): Promise<KubeClient> {
  const { kube } = controlPlane();
  if (!kube.ca)
    throw new Error('kubeAs needs a cluster the harness started (its CA key signs users)');
  const admin = await connectionFromKubeconfig({ file: kube.kubeconfigPath });
  const cred = await (
    await loadCertificateAuthority(kube.ca.certPem, kube.ca.keyPem)
  ).issueClient(user, groups);
  const conn = { server: admin.server, certPem: cred.certPem, keyPem: cred.keyPem };
  return closedAfterTest(new KubeClient(admin.caPem ? { ...conn, caPem: admin.caPem } : conn));
}

/** A short unique suffix for names of objects a test creates. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** Creates a namespace for this test; it is deleted (without waiting) when the test finishes. */
export async function testNamespace(client: KubeClient, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${uniqueSuffix()}`;
  await client.create('/api/v1/namespaces', {
    metadata: { name, labels: { 'kube-bind-ts.io/test': 'true' } },
  });
  onTestFinished(async () => {
    await ignoreNotFound(client.delete(`/api/v1/namespaces/${name}`));
  });
  return name;
}

/**
 * Creates a kcp workspace under `parent` for this test and waits until it is Ready; it is deleted
 * when the test finishes. Returns its path (e.g. `root:test-1a2b3c`) and an admin client in it.
 */
export async function testWorkspace(
  prefix = 'test',
  parent = 'root',
): Promise<{ path: string; client: KubeClient }> {
  const parentClient = await kcpAdmin(parent);
  const name = `${prefix}-${uniqueSuffix()}`;
  const workspaces = '/apis/tenancy.kcp.io/v1alpha1/workspaces';
  await parentClient.create(workspaces, {
    apiVersion: 'tenancy.kcp.io/v1alpha1',
    kind: 'Workspace',
    metadata: { name, labels: { 'kube-bind-ts.io/test': 'true' } },
  });
  onTestFinished(async () => {
    await ignoreNotFound(parentClient.delete(`${workspaces}/${name}`));
  });
  await eventually(`workspace ${parent}:${name} to be Ready`, async () => {
    const ws = await parentClient.get<{ status?: { phase?: string } }>(`${workspaces}/${name}`);
    return ws.status?.phase === 'Ready' ? true : undefined;
  });
  const path = `${parent}:${name}`;
  return { path, client: await kcpAdmin(path) };
}

/**
 * Polls `probe` until it returns a value other than undefined and returns that value. Throws after
 * `timeoutMs` with `what` and the last value or error seen, so a failure says what was waited for.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

function closedAfterTest(client: KubeClient): KubeClient {
  onTestFinished(() => client.close());
  return client;
}

/** A logger for code under test: silent unless KBT_TEST_LOG names a level (e.g. `debug`). */
export function testLogger(): Logger {
  return pino({ level: process.env['KBT_TEST_LOG'] ?? 'silent' });
}
