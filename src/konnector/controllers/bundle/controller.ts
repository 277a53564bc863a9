// The bundle controller (docs/controllers.md §1.4 APIServiceBindingBundle): keeps one
// APIServiceBinding per APIServiceExport of the provider namespace, and reports Synced.
import { isDeepStrictEqual } from '../../builtins.ts';
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { secretValidCondition, syncedCondition } from '../../../apis/kubebind/wire.ts';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forOwner, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter } from '../../../runtime/controller/result.ts';
import type { ProviderCluster } from '../../cluster.ts';
import { secretKeyRefName } from '../../cluster.ts';
import { refOf } from '../../cluster-source/kubeconfig-secret.ts';
import { planBundle } from './decide.ts';

export const bundleControllerName = 'konnector-bundle';

export function bundleController(opts: {
  pollIntervalMs: number;
  now?: () => number;
}): ControllerSpec<ProviderCluster> {
  const informers = (cluster: ProviderCluster) => ({
    bundles: cluster.consumer.informers.informerFor(kb.APIServiceBindingBundles),
    bindings: cluster.consumer.informers.informerFor(kb.APIServiceBindings),
    exports: cluster.providerInformers.informerFor(kb.APIServiceExports, {
      namespace: cluster.contractNamespace,
    }),
  });
  const ours = (cluster: ProviderCluster, bundle: kb.APIServiceBindingBundle | undefined) => {
    const ref = refOf(bundle);
    return !!ref && secretKeyRefName(ref) === cluster.name;
  };
  return {
    name: bundleControllerName,
    watches: (cluster) => {
      const { bundles, bindings, exports } = informers(cluster);
      const all = () =>
        bundles.lister
          .list()
          .filter((bundle) => ours(cluster, bundle))
          .map((bundle) => ({ name: bundle.metadata?.name ?? '' }));
      return [
        watch(bundles, { filter: (bundle) => ours(cluster, bundle) }),
        watch(bindings, { map: forOwner(kb.APIServiceBindingBundles) }),
        watch(exports, { map: all }),
      ];
    },
    reconcile: async (req, { cluster, signal, log }) => {
      const { bundles, bindings, exports } = informers(cluster);
      const bundle = bundles.lister.get(req.name);
      if (!bundle || !ours(cluster, bundle) || bundle.metadata?.deletionTimestamp) return undefined;
      const plan = planBundle(bundle, exports.lister.list(), bindings.lister.list());
      const client = new ResourceClient(cluster.consumer.client, kb.APIServiceBindings);
      const errors: string[] = [];
      for (const binding of plan.create) {
        try {
          await client.create(binding, { signal });
          log.info({ binding: binding.metadata?.name }, 'created a binding for an export');
        } catch (err) {
          if (!(err instanceof AlreadyExistsError)) errors.push(String(err));
        }
      }
      for (const name of plan.delete) {
        await ignoreNotFound(client.delete(name, { signal }));
        log.info({ binding: name }, 'export gone; deleted its binding');
      }
      const now = (opts.now ?? Date.now)();
      let conditions = markTrue(bundle.status?.conditions ?? [], secretValidCondition, now);
      conditions =
        errors.length > 0
          ? markFalse(
              conditions,
              syncedCondition,
              'SyncErrors',
              'Warning',
              `Failed to sync some APIServiceBindings: ${errors.length} error(s): ${errors.join('; ')}`,
              now,
            )
          : plan.foreign.length > 0
            ? markFalse(
                conditions,
                syncedCondition,
                'ForeignBinding',
                'Warning',
                `APIServiceBindings ${plan.foreign.join(', ')} exist and belong to someone else`,
                now,
              )
            : markTrue(conditions, syncedCondition, now);
      conditions = setSummary(conditions, now);
      if (!isDeepStrictEqual(conditions, bundle.status?.conditions ?? [])) {
        await patchStatusGuarded(
          new ResourceClient(cluster.consumer.client, kb.APIServiceBindingBundles),
          bundle,
          { conditions },
          signal,
        );
      }
      return requeueAfter(opts.pollIntervalMs);
    },
  };
}
