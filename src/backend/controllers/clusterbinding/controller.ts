// The clusterbinding controller (docs/controllers.md §5.2, differences.md item 5): keeps the `Healthy`
// condition of every ClusterBinding true to the konnector's heartbeat, and persists it. The status
// belongs to the konnector otherwise: we merge-patch `/status` with the conditions we read plus our
// one condition, guarded by resourceVersion, so a concurrent konnector write makes our patch fail
// (and retry) instead of being overwritten. `Ready` stays the konnector's.
import { markFalse, markTrue } from '../../../apis/kubebind/conditions.ts';
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
import { healthyCondition } from '../../../apis/kubebind/wire.ts';
import { heartbeatHealth } from './decide.ts';

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
      const now = clock.now();
      const health = heartbeatHealth(binding.status, now);
      const current = binding.status?.conditions ?? [];
      const next = health.healthy
        ? markTrue(current, healthyCondition, now)
        : markFalse(current, healthyCondition, health.reason, health.severity, health.message, now);
      const bindings = new ResourceClient(cluster.client, kb.ClusterBindings, req.namespace);
      const wrote = await patchConditions(bindings, binding, current, next, signal);
      const was = current.find((c) => c.type === healthyCondition)?.status;
      if (wrote && !health.healthy && was === 'True') {
        await events.event(binding, 'Warning', health.reason, health.message);
      } else if (wrote && health.healthy && was === 'False') {
        await events.event(binding, 'Normal', 'Healthy', 'the konnector heartbeats again');
      }
      // Nothing announces a missing heartbeat: look again when the current one expires.
      return health.healthy ? requeueAfter(health.recheckAfterMs) : undefined;
    },
  };
}
