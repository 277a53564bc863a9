// The clusterbinding controller (docs/controllers.md §5.2, differences.md item 5): keeps the `Healthy`
// condition of every ClusterBinding true to the konnector's heartbeat, and persists it. The status
// belongs to the konnector otherwise: we merge-patch `/status` with the conditions we read plus our
// one condition, guarded by resourceVersion, so a concurrent konnector write makes our patch fail
// (and retry) instead of being overwritten. `Ready` stays the konnector's.
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { noEvents, type EventRecorder } from '../../../runtime/events.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter } from '../../../runtime/controller/result.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import { clusterBindingName } from '../../resources/consumer.ts';
import { patchConditions } from '../conditions-patch.ts';
import { perCluster } from '../per-cluster.ts';
import { decideClusterBinding } from './decide.ts';

export const clusterBindingControllerName = 'kube-bind-backend-clusterbinding';

export function clusterBindingController(
  clock: Clock,
  events: EventRecorder = noEvents,
): ControllerSpec {
  const informerOf = perCluster((cluster) => cluster.informers.informerFor(kb.ClusterBindings));
  return {
    name: clusterBindingControllerName,
    watches: (cluster) => [
      watch(informerOf(cluster), {
        map: forObject(),
        filter: (obj) => obj.metadata?.name === clusterBindingName,
      }),
    ],
    reconcile: async (req, { cluster, signal }) => {
      const binding = informerOf(cluster).lister.get(namespacedKey(req.namespace, req.name));
      if (!binding) return;
      const action = decideClusterBinding(binding, clock.now());
      const current = binding.status?.conditions ?? [];
      const bindings = new ResourceClient(cluster.client, kb.ClusterBindings, req.namespace);
      const wrote = await patchConditions(bindings, binding, current, action.conditions, signal);
      if (wrote && action.event) {
        const { type, reason, message } = action.event;
        await events.event(binding, type, reason, message);
      }
      return action.recheckAfterMs === undefined ? undefined : requeueAfter(action.recheckAfterMs);
    },
  };
}
