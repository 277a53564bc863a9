// For the cache's unit tests (never shipped: the images leave out *.testing.ts): a ListerWatcher
// that lists fixed items, then delivers the events a test pushes until the watch is aborted.
import type { WatchEvent } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/resource.ts';
import type { ListerWatcher } from './reflector.ts';

export function memorySource(items: KubeObject[]) {
  const pending: WatchEvent<KubeObject>[] = [];
  let wake: (() => void) | undefined;
  const source: ListerWatcher<KubeObject> = {
    listAll: () => Promise.resolve({ items, resourceVersion: '1' }),
    async *watch(opts) {
      opts.signal?.addEventListener('abort', () => wake?.());
      while (!opts.signal?.aborted) {
        const next = pending.shift();
        if (next) yield next;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  return {
    source,
    push: (e: WatchEvent<KubeObject>) => {
      pending.push(e);
      wake?.();
    },
  };
}
