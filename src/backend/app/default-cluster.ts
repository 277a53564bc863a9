// Every engaged cluster gets a Cluster `default` before its controllers start (docs/controllers.md
// §6.3): it owns the RBAC that lets OIDC users bind. Right after a kcp workspace binds
// kube-bind.io its permission claims may not be in force yet, so Forbidden is tried again.
import type { Logger } from 'pino';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { ForbiddenError, ignoreAlreadyExists } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { ClusterSink } from '../../runtime/manager/provider.ts';
import { defaultClusterName } from '../controllers/cluster/controller.ts';

/** Waits before the 2nd and 3rd attempts (upstream: 1 s, 2 s). */
export const forbiddenBackoffMs = [1_000, 2_000] as const;

export function ensureDefaultCluster(cluster: Cluster, clock: Clock, log: Logger): Promise<void> {
  return attempt(0);

  async function attempt(n: number): Promise<void> {
    try {
      const created = await ignoreAlreadyExists(
        new ResourceClient(cluster.client, kb.Clusters).create({
          metadata: { name: defaultClusterName },
          spec: {},
        }),
      );
      if (created) log.info({ cluster: cluster.name }, 'created Cluster default');
    } catch (err) {
      const wait = forbiddenBackoffMs[n];
      if (!(err instanceof ForbiddenError) || wait === undefined) throw err;
      log.info({ cluster: cluster.name, err: err.message }, 'Cluster default: forbidden, retrying');
      await clock.sleep(wait);
      await attempt(n + 1);
    }
  }
}

/** The engage hook that makes sure of Cluster `default`. */
export function defaultClusterHook(clock: Clock, log: Logger): ClusterSink {
  return {
    engage: (cluster) => ensureDefaultCluster(cluster, clock, log),
    disengage: () => Promise.resolve(),
  };
}
