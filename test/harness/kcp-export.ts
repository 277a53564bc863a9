// kube-bind.io bootstrapped into a fresh workspace of the shared kcp, for tests that run a kcp
// provider (or the backend) against an export of their own; the workspace goes when the test ends.
import { onTestFinished } from 'vitest';
import { connectionFromKubeconfig, type ClusterConnection } from '../../src/kube/config.ts';
import { bootstrapKcp } from '../../src/providers/kcp/bootstrap.ts';
import { controlPlane, kcpAdmin, testLogger, uniqueSuffix } from './context.ts';

export interface FreshExport {
  /** The export's workspace path, e.g. `root:kb-engage-1a2b3c`. */
  path: string;
  /** The kcp admin's connection, pointed at that workspace (what the backend's kubeconfig is). */
  connection: ClusterConnection;
}

export async function freshKubeBindExport(prefix: string): Promise<FreshExport> {
  const root = await kcpAdmin('root');
  const workspace = `${prefix}-${uniqueSuffix()}`;
  onTestFinished(async () => {
    await root
      .delete(`/apis/tenancy.kcp.io/v1alpha1/workspaces/${workspace}`)
      .catch(() => undefined);
  });
  const path = await bootstrapKcp({
    client: root,
    workspace,
    bindableBy: [{ kind: 'Group', name: 'system:authenticated' }],
    log: testLogger(),
    timeoutMs: 90_000,
  });
  const admin = await connectionFromKubeconfig({ file: controlPlane().kcp?.kubeconfigPath ?? '' });
  return {
    path,
    connection: { ...admin, server: `${new URL(admin.server).origin}/clusters/${path}` },
  };
}
