// A binding or bundle whose provider kubeconfig is missing or unusable has no provider cluster to
// run controllers for; the provider reports it here instead, so `kubectl get apiservicebindings`
// says why the binding is not Ready (upstream's SecretValid reasons and messages).
import { isDeepStrictEqual } from '../builtins.ts';
import type { Logger } from 'pino';
import { markFalse, setSummary } from '../../apis/kubebind/conditions.ts';
import { secretValidCondition } from '../../apis/kubebind/wire.ts';
import type * as kb from '../../apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../kube/client.ts';
import { ignoreNotFound } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { patchStatusGuarded } from '../../kube/status-patch.ts';
import type { Condition } from '../../apis/kubebind/conditions.ts';

type Reported = kb.APIServiceBinding | kb.APIServiceBindingBundle;

/** The conditions with SecretValid False for `problem`; undefined when already so. */
export function secretProblemConditions(
  current: readonly Condition[],
  problem: { reason: string; message: string },
  now: number,
): Condition[] | undefined {
  const next = setSummary(
    markFalse(current, secretValidCondition, problem.reason, 'Error', problem.message, now),
    now,
  );
  return isDeepStrictEqual(next, current) ? undefined : next;
}

/** Writes the problem into each object's status (guarded: a concurrent writer wins, we retry later). */
export async function reportSecretProblem<T extends Reported>(
  client: KubeClient,
  type: ResourceType<T>,
  objects: readonly T[],
  problem: { reason: string; message: string },
  now: number,
  log: Logger,
): Promise<void> {
  for (const obj of objects) {
    const next = secretProblemConditions(obj.status?.conditions ?? [], problem, now);
    if (!next) continue;
    try {
      await ignoreNotFound(
        patchStatusGuarded(new ResourceClient(client, type), obj, { conditions: next }),
      );
    } catch (err) {
      log.warn({ err, name: obj.metadata?.name }, 'cannot report the kubeconfig secret problem');
    }
  }
}
