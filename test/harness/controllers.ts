// Runs backend controllers in a manager on the shared cluster, stopped when the test ends.
// Test files run in parallel against one cluster, and our controllers watch every namespace: a
// controller started by one file must not act on another file's objects (it would patch them
// under that file's feet). So each run only reconciles requests in the namespaces it is given
// (and cluster-scoped requests, whose namespace is empty).
import { onTestFinished } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { testLogger } from './context.ts';

/** Runs `specs` until the test ends, reconciling only in `namespaces` (and cluster scope). */
export function runControllers(
  client: KubeClient,
  specs: ControllerSpec[],
  namespaces: readonly string[],
): void {
  const log = testLogger();
  const provider = new SingleClusterProvider({ client, clock: realClock, log });
  const manager = new Manager({ provider, clock: realClock, log });
  const ours = new Set(['', ...namespaces]);
  for (const spec of specs) {
    manager.add({
      ...spec,
      reconcile: (req, ctx) =>
        ours.has(req.namespace) ? spec.reconcile(req, ctx) : Promise.resolve(undefined),
    });
  }
  const abort = new AbortController();
  const running = manager.start(abort.signal);
  onTestFinished(async () => {
    abort.abort();
    await running;
  });
}
