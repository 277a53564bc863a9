// The provider contract, run against the single-cluster provider on the shared cluster and the
// kcp provider on the shared kcp (a consumer workspace binding kube-bind.io).
import { describe, onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { providerContract } from '../contract/provider.ts';
import {
  controlPlane,
  kcpAdmin,
  kubeAdmin,
  testLogger,
  testNamespace,
  testWorkspace,
  uniqueSuffix,
} from '../harness/context.ts';
import { kubeBindAPIBinding, kubeBindExportName } from '../../src/apis/kubebind/kcp.ts';
import { bootstrapKcp } from '../../src/providers/kcp/bootstrap.ts';
import { KcpProvider } from '../../src/providers/kcp/provider.ts';

describe('single-cluster provider', () => {
  providerContract('default', async () => {
    const namespace = await testNamespace(await kubeAdmin(), 'provider');
    const client = new KubeClient(
      await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath }),
    );
    onTestFinished(() => client.close());
    return {
      provider: new SingleClusterProvider({ client, clock: realClock, log: testLogger() }),
      namespace,
      openWatches: () => client.openWatches,
    };
  });
});

describe.runIf(controlPlane().kcp !== undefined)('kcp provider', () => {
  providerContract('kcp', async () => {
    const root = await kcpAdmin('root');
    const workspace = `kb-provider-${uniqueSuffix()}`;
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
    // A consumer workspace binds the export; the provider must engage it.
    const consumer = await testWorkspace('kb-consumer');
    await consumer.client.create(
      '/apis/apis.kcp.io/v1alpha2/apibindings',
      kubeBindAPIBinding(path),
    );
    const admin = await connectionFromKubeconfig({
      file: controlPlane().kcp?.kubeconfigPath ?? '',
    });
    const provider = new KcpProvider({
      connection: { ...admin, server: `${new URL(admin.server).origin}/clusters/${path}` },
      endpointSliceName: kubeBindExportName,
      clock: realClock,
      log: testLogger(),
    });
    return { provider, namespace: 'default', openWatches: () => provider.openWatches };
  });
});
