// A lock between test files that share one cluster-wide thing (e.g. the consumer's
// `kube-bind/konnector` Deployment): a ConfigMap in `default` that one holder creates and deletes.
// Test files run in parallel workers, so an in-process mutex would not do.
import { setTimeout as sleep } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import type { KubeClient } from '../../src/kube/client.ts';
import { AlreadyExistsError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';

/** A holder that crashed leaves its lock; after this long it is taken over. */
const staleAfterMs = 5 * 60_000;

/** Waits until this test holds the lock `name`; it is released when the test finishes. */
export async function holdClusterLock(admin: KubeClient, name: string): Promise<void> {
  const locks = new ResourceClient(admin, ConfigMaps, 'default');
  const lockName = `test-lock-${name}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await locks.create({ metadata: { name: lockName } });
      break;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const held = await locks.get(lockName).catch(() => undefined);
      const since = Date.parse(held?.metadata?.creationTimestamp ?? '');
      if (Date.now() - since > staleAfterMs) await locks.delete(lockName).catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`lock ${name} not free after 180 s`, { cause: err });
      await sleep(250);
    }
  }
  onTestFinished(async () => {
    await locks.delete(lockName).catch(() => undefined);
  });
}
