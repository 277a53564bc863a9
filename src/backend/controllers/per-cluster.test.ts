import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../runtime/cluster.ts';
import { perCluster } from './per-cluster.ts';

const cluster = (name: string): Cluster => ({ name }) as unknown as Cluster;

describe('perCluster', () => {
  it('sets up once per engagement, and anew when a cluster of the same name is engaged again', () => {
    let setUps = 0;
    const of = perCluster((c) => ({ name: c.name, n: ++setUps }));
    const first = cluster('a');
    expect(of(first)).toBe(of(first));
    expect(of(cluster('b')).n).toBe(2);
    // A re-engaged logical cluster comes as a new Cluster (with a new client): a new set-up.
    const again = of(cluster('a'));
    expect(again).toEqual({ name: 'a', n: 3 });
    expect(again).not.toBe(of(first));
  });
});
