// Runs backend controllers in a manager on the shared cluster, stopped when the test ends.
import { onTestFinished } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { SingleClusterProvider } from '../../src/providers/default/single-cluster.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { ControllerSpec } from '../../src/runtime/controller/controller.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { testLogger } from './context.ts';

/** Runs `specs` in a manager on the shared cluster until the test ends. */
export function runControllers(client: KubeClient, specs: ControllerSpec[]): void {
  const log = testLogger();
  const provider = new SingleClusterProvider({ client, clock: realClock, log });
  const manager = new Manager({ provider, clock: realClock, log });
  for (const spec of specs) manager.add(spec);
  const abort = new AbortController();
  const running = manager.start(abort.signal);
  onTestFinished(async () => {
    abort.abort();
    await running;
  });
}
