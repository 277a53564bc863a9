// Runs the real bin/konnector against a consumer cluster, as a process with a kubeconfig (the
// way upstream's e2e runs it), with its log kept as an artifact.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { konnectorObjects } from '../../src/apis/kubebind/konnector-manifests.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  Namespaces,
  RoleBindings,
  Roles,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { buildKubeconfig } from './kubeconfig.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { repoRoot } from './tools.ts';

export interface KonnectorUnderTest {
  process: ManagedProcess;
  port: number;
  /** SIGTERM and wait; the test may start another one. */
  stop(): Promise<void>;
}

export async function startKonnector(opts: {
  kubeconfig: string;
  logDir: string;
  name?: string;
  args?: readonly string[];
  /** Stop it when the current test finishes (default); false: the caller stops it. */
  stopWhenTestEnds?: boolean;
}): Promise<KonnectorUnderTest> {
  const port = await freePort();
  const proc = new ManagedProcess({
    name: opts.name ?? 'konnector',
    command: join(repoRoot, 'bin/konnector'),
    args: [
      `--kubeconfig=${opts.kubeconfig}`,
      `--server-address=127.0.0.1:${port}`,
      '--lease-namespace=kube-system',
      ...(opts.args ?? []),
    ],
    logDir: opts.logDir,
    env: { LOG_LEVEL: process.env['KBT_KONNECTOR_LOG_LEVEL'] ?? 'debug' },
  });
  if (opts.stopWhenTestEnds !== false) {
    onTestFinished(async () => {
      await proc.stop(5_000);
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!proc.running) throw new Error(`konnector exited: ${proc.tail()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`konnector not ready in 60s: ${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    process: proc,
    port,
    stop: async () => {
      await proc.stop(10_000);
    },
  };
}

/**
 * The konnector's service account on `cluster` with only the base role its install objects grant
 * (no `*\/*\/*`; each binding's rights come from whoever binds), and a kubeconfig for it in
 * `dir` with a token from the TokenRequest API. Returns the kubeconfig's path.
 */
export async function konnectorServiceAccount(
  admin: KubeClient,
  cluster: KubeCluster,
  dir: string,
): Promise<string> {
  const objects = konnectorObjects({ image: 'not-run-here' });
  await new ResourceClient(admin, Namespaces).create(objects.namespace);
  await new ResourceClient(admin, ServiceAccounts, 'kube-bind').create(objects.serviceAccount);
  await new ResourceClient(admin, ClusterRoles).create(objects.clusterRole);
  await new ResourceClient(admin, ClusterRoleBindings).create(objects.clusterRoleBinding);
  await new ResourceClient(admin, Roles, 'kube-bind').create(objects.role);
  await new ResourceClient(admin, RoleBindings, 'kube-bind').create(objects.roleBinding);
  const review = await admin.request<{ status: { token: string } }>(
    'POST',
    '/api/v1/namespaces/kube-bind/serviceaccounts/konnector/token',
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 7200 },
      },
    },
  );
  const conn = await connectionFromKubeconfig({ file: cluster.adminKubeconfigPath });
  const path = join(dir, 'konnector.kubeconfig');
  writeFileSync(
    path,
    buildKubeconfig({
      name: 'konnector',
      user: 'system:serviceaccount:kube-bind:konnector',
      server: conn.server,
      caPem: conn.caPem ?? '',
      token: review.status.token,
    }),
  );
  return path;
}
