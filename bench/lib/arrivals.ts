// Arrivals stamped by a watch: when each expected object first showed a state.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject, ResourceClient } from '../../src/kube/resource.ts';

/**
 * Watches `resource` from `resourceVersion` and stamps, per key (the name unless `keyOf` says
 * otherwise), when an event first shows `arrived(object)`: arrival times come from the watch, not
 * from polling (which would load the apiserver it measures).
 */
export function watchArrivals<T extends KubeObject>(
  resource: ResourceClient<T>,
  resourceVersion: string,
  arrived: (c: T) => boolean,
  expected: readonly string[],
  keyOf: (obj: T) => string = (obj) => obj.metadata?.name ?? '',
) {
  const at = new Map<string, number>();
  const abort = new AbortController();
  let failure: Error | undefined;
  let rv = resourceVersion;
  const loop = (async () => {
    // The server may end a watch; resume from the last resourceVersion seen.
    while (!abort.signal.aborted) {
      const events = resource.watch({
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 600,
        signal: abort.signal,
      });
      for await (const ev of events) {
        const now = performance.now();
        if (ev.type === 'ERROR') throw new Error(`watch failed: ${JSON.stringify(ev.object)}`);
        rv = ev.object.metadata?.resourceVersion ?? rv;
        const key = keyOf(ev.object);
        if (ev.type !== 'BOOKMARK' && !at.has(key) && arrived(ev.object)) at.set(key, now);
      }
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    at,
    /** Resolves once every name has arrived; fails with the missing ones after `timeoutMs`. */
    async all(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (expected.some((n) => !at.has(n))) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          const missing = expected.filter((n) => !at.has(n));
          throw new Error(
            `${missing.length} objects did not arrive in ${timeoutMs / 1000}s, e.g. ${missing.slice(0, 5).join(', ')}`,
          );
        }
        await sleep(20); // only the local map is polled; the stamps come from the watch
      }
    },
    async stop(): Promise<void> {
      abort.abort();
      await loop;
    },
  };
}
