// Asserts a cache holds exactly what the server holds: the same keys at the same resourceVersions.
import { expect } from 'vitest';
import type { KubeObject, ResourceClient } from '../../src/kube/resource.ts';
import type { Lister } from '../../src/runtime/cache/store.ts';
import { objectKey } from '../../src/runtime/cache/keys.ts';
import { eventually } from '../harness/context.ts';

function versions(objs: readonly KubeObject[]): Map<string, string> {
  return new Map(objs.map((o) => [objectKey(o), o.metadata?.resourceVersion ?? '']));
}

/** Waits (up to `timeoutMs`) until the cache equals a fresh list, then asserts it once more. */
export async function cacheMatchesServer(
  lister: Lister<KubeObject>,
  source: ResourceClient,
  timeoutMs = 30_000,
): Promise<void> {
  let server = new Map<string, string>();
  await eventually(
    'cache to match the server',
    async () => {
      server = versions((await source.listAll()).items);
      const cached = versions(lister.list());
      return sameMap(cached, server) ? true : undefined;
    },
    { timeoutMs },
  );
  expect(versions(lister.list())).toEqual(server);
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
