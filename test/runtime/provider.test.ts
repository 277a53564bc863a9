// The provider contract, run against the single-cluster provider on the shared cluster.
import { describe, onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { providerContract } from '../contract/provider.ts';
import { controlPlane, kubeAdmin, testLogger, testNamespace } from '../harness/context.ts';

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
