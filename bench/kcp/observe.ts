// Polls of the virtual workspace: what kcp serves of the fleet, checked apart from the views.
import type { KubeObject, ResourceType } from '../../src/kube/resource.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { APIBindings } from '../../src/providers/kcp/bootstrap.ts';
import { clusterOf } from '../../src/runtime/cache/keys.ts';
import type { Counts } from '../lib/requests.ts';
import { seconds } from './config.ts';
import type { Env } from './env.ts';
import type { InformerQuery } from './informers.ts';
import { memoryAfterGC } from './memory.ts';

/** One wildcard LIST of APIBindings on the virtual workspace. */
export interface BindingsList {
  objects: number;
  mib: number;
  seconds: number;
  heapMiB: number;
}

/**
 * How many of `ids` have an object named `name` of `type` on the virtual workspace. The whole
 * collection is listed: kcp v0.31's virtual workspace answers a wildcard (`/clusters/*`) list or
 * watch with a `metadata.name=` field selector with nothing at all.
 */
export async function countOnVW<T extends KubeObject>(
  env: Env,
  type: ResourceType<T>,
  name: string,
  ids: ReadonlySet<string>,
): Promise<number> {
  const { items } = await new ResourceClient(env.vw, type).listAll();
  const clusters = items.filter((o) => o.metadata?.name === name).map(clusterOf);
  return new Set(clusters.filter((c) => ids.has(c))).size;
}

/**
 * Objects of `ids` that the wildcard informers' own queries return on the virtual workspace (what
 * their caches hold once in sync), by informer.
 */
export async function servedObjects(
  env: Env,
  queries: ReadonlyMap<string, InformerQuery>,
  ids: ReadonlySet<string>,
): Promise<Counts> {
  const counts: Counts = new Map();
  for (const [id, q] of queries) {
    const { items } = await new ResourceClient(env.vw, q.type).listAll({
      ...(q.labelSelector && { labelSelector: q.labelSelector }),
      ...(q.fieldSelector && { fieldSelector: q.fieldSelector }),
    });
    const mine = items.filter((o) => ids.has(clusterOf(o))).length;
    if (mine > 0) counts.set(id, mine);
  }
  return counts;
}

/**
 * What the provider's first step costs kcp: the wildcard list of every APIBinding (kept in a
 * function of its own, so that nothing of it is left for the baseline).
 */
export async function listBindings(env: Env): Promise<BindingsList> {
  const before = await memoryAfterGC();
  const started = performance.now();
  const { items } = await new ResourceClient(env.vw, APIBindings).listAll();
  const took = seconds(performance.now() - started);
  // What a cache of them all costs (each provider's APIBindings informer holds every one).
  const held = await memoryAfterGC();
  return {
    objects: items.length,
    mib: JSON.stringify(items).length / 2 ** 20,
    seconds: took,
    heapMiB: held.heap - before.heap,
  };
}
