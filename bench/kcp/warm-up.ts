import { setTimeout as sleep } from 'node:timers/promises';
import { backendControllers } from '../../src/backend/app/app.ts';
import { defaultClusterHook } from '../../src/backend/app/default-cluster.ts';
import { kcpPlatform } from '../../src/backend/app/platform.ts';
import { ServedClusters } from '../../src/backend/binding/clusters.ts';
import { realClock } from '../../src/runtime/clock.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { withEngageHooks } from '../../src/runtime/manager/provider.ts';
import { poll } from './config.ts';
import type { Env } from './env.ts';

/**
 * Runs both views once with none of the N workspaces bound (the export's workspace engages), so
 * that code compiled and caches filled on first use are in every point's baseline.
 */
export async function warmUp(env: Env): Promise<void> {
  const { log, options } = env;
  const clock = realClock;
  const platform = kcpPlatform(options, {
    connection: env.connection,
    client: env.client,
    clock,
    log,
  });
  const serving = platform.newProvider('controllers');
  const manager = new Manager({
    provider: withEngageHooks(serving.provider, [defaultClusterHook(clock, log)]),
    clock,
    log,
  });
  for (const spec of backendControllers(options, { clock, log }, platform.targetFor)) {
    manager.add(spec);
  }
  const front = platform.newProvider('front-door');
  const served = new ServedClusters({ naming: platform.naming, settled: front.settled, log });
  const stop = new AbortController();
  const running = Promise.all([
    manager.start(stop.signal),
    front.provider.run(served, stop.signal),
  ]);
  try {
    await poll(
      'the warm-up to engage the export workspace',
      () => (manager.engagedClusters.length > 0 && served.ready() && served.size > 0) || undefined,
      120_000,
      50,
    );
    await sleep(3_000);
  } finally {
    stop.abort();
    await running;
  }
}
