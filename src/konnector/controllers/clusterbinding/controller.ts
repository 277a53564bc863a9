// The konnector's clusterbinding controller (docs/protocol.md §8): heartbeats into the provider's
// ClusterBinding `cluster`, reports version and consumer Secret, and copies the provider's
// kubeconfig Secret into the consumer Secret when it changes — that is how a provider rotates
// credentials (the new content re-engages the provider with them).
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Secrets } from '../../../kube/resources.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter } from '../../../runtime/controller/result.ts';
import type { ProviderCluster } from '../../cluster.ts';
import { checkProviderKubeconfigSecret, consumerSecretNeedsCopy, heartbeat } from './decide.ts';

export const clusterBindingControllerName = 'konnector-clusterbinding';
const clusterBindingName = 'cluster';

export interface ClusterBindingControllerOptions {
  clock: Clock;
  heartbeatIntervalMs: number;
  version: string;
}

export function clusterBindingController(
  opts: ClusterBindingControllerOptions,
): ControllerSpec<ProviderCluster> {
  const informers = (cluster: ProviderCluster) => {
    const ns = { namespace: cluster.contractNamespace };
    return {
      bindings: cluster.providerInformers.informerFor(kb.ClusterBindings, ns),
      secrets: cluster.providerInformers.informerFor(Secrets, ns),
    };
  };
  return {
    name: clusterBindingControllerName,
    watches: (cluster) => {
      const { bindings, secrets } = informers(cluster);
      const theOne = () => [{ namespace: cluster.contractNamespace, name: clusterBindingName }];
      return [
        watch(bindings, { filter: (binding) => binding.metadata?.name === clusterBindingName }),
        watch(secrets, { map: theOne }),
      ];
    },
    reconcile: async (req, { cluster, signal, log }) => {
      const { bindings, secrets } = informers(cluster);
      const binding = bindings.lister.get(namespacedKey(req.namespace, req.name));
      if (!binding) return requeueAfter(opts.heartbeatIntervalMs / 2);
      const ref = binding.spec.kubeconfigSecretRef;
      const secret = checkProviderKubeconfigSecret(
        binding,
        secrets.lister.get(namespacedKey(req.namespace, ref.name)),
      );
      if (secret.ok) await copySecret(cluster, secret.data, signal, log);
      const decision = heartbeat(binding, {
        now: opts.clock.now(),
        intervalMs: opts.heartbeatIntervalMs,
        version: opts.version,
        consumerSecret: cluster.secret,
        secret,
      });
      if (decision.status) {
        const client = new ResourceClient(
          cluster.providerClient,
          kb.ClusterBindings,
          req.namespace,
        );
        await patchStatusGuarded(client, binding, { ...decision.status }, signal);
      }
      return requeueAfter(decision.recheckAfterMs);
    },
  };
}

/** Replaces the consumer's kubeconfig with the provider's when they differ. */
async function copySecret(
  cluster: ProviderCluster,
  data: string,
  signal: AbortSignal,
  log: { info(obj: object, msg: string): void },
): Promise<void> {
  const ref = cluster.secret;
  const client = new ResourceClient(cluster.consumer.client, Secrets, ref.namespace);
  const consumer = cluster.consumer.informers
    .informerFor(Secrets, { namespace: ref.namespace })
    .lister.get(namespacedKey(ref.namespace, ref.name));
  if (!consumer || !consumerSecretNeedsCopy(consumer, ref, data)) return;
  await client.update({ ...consumer, data: { ...consumer.data, [ref.key]: data } }, { signal });
  log.info(
    { secret: `${ref.namespace}/${ref.name}` },
    'provider rotated the kubeconfig; copied it',
  );
}
