// The clusterbinding controller on the real kube-apiserver: `Healthy` follows the konnector's
// heartbeat, is persisted in status (upstream loses it), leaves every konnector-owned field alone,
// and turns False on its own when heartbeats stop (upstream only notices on another change).
import { beforeAll, describe, expect, it } from 'vitest';
import { getCondition } from '../../../src/apis/kubebind/conditions.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { clusterBindingController } from '../../../src/backend/controllers/clusterbinding/controller.ts';
import { PatchType } from '../../../src/kube/client.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { eventually, kubeAdmin, testNamespace } from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('clusterbinding controller', () => {
  it('persists Healthy from heartbeats without touching konnector fields', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'heartbeat');
    const bindings = new ResourceClient(admin, kb.ClusterBindings, ns);
    await bindings.create({
      metadata: { name: 'cluster' },
      spec: {
        kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
        providerPrettyName: 'p',
      },
    });
    runControllers(admin, [clusterBindingController(realClock)], [ns]);

    const healthy = async () =>
      getCondition((await bindings.get('cluster')).status?.conditions ?? [], 'Healthy');
    expect(
      await eventually('Healthy=False FirstHeartbeatPending', async () => {
        const c = await healthy();
        return c?.reason === 'FirstHeartbeatPending' ? c : undefined;
      }),
    ).toMatchObject({ status: 'False', severity: 'Info' });

    // The konnector heartbeats, as it does: a merge patch of /status.
    const konnector = {
      lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      heartbeatInterval: '1s',
      konnectorVersion: 'v0.8.1',
      consumerSecretRef: { name: 'kubeconfig-abc', namespace: 'kube-bind' },
    };
    const live = await bindings.get('cluster');
    await bindings.patch(
      'cluster',
      PatchType.merge,
      {
        status: {
          ...konnector,
          conditions: [
            ...(live.status?.conditions ?? []),
            {
              type: 'SecretValid',
              status: 'True',
              lastTransitionTime: konnector.lastHeartbeatTime,
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    await eventually('Healthy=True', async () =>
      (await healthy())?.status === 'True' ? true : undefined,
    );
    const afterHealthy = await bindings.get('cluster');
    expect(afterHealthy.status).toMatchObject(konnector);
    expect(getCondition(afterHealthy.status?.conditions ?? [], 'SecretValid')?.status).toBe('True');

    // No more heartbeats: with a 1 s interval the controller looks again by itself and reports it.
    const timeout = await eventually(
      'Healthy=False HeartbeatTimeout without any further event',
      async () => {
        const c = await healthy();
        return c?.reason === 'HeartbeatTimeout' ? c : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(timeout).toMatchObject({ status: 'False', severity: 'Error' });
    expect((await bindings.get('cluster')).status).toMatchObject(konnector);
  });
});
