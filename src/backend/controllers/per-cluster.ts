// Controllers run on every engaged cluster (one in the default provider, many with kcp) and set
// up their informers once per cluster. This memoises that set-up per engagement: keyed by the
// Cluster object, which the provider makes anew each time it engages a cluster, so what a
// disengaged cluster's set-up holds is collected with it (keyed by name, every logical cluster
// ever engaged stayed in memory: some 57 KiB each in bench/kcp.ts at 1,000 clusters).
import type { Cluster } from '../../runtime/cluster.ts';

export function perCluster<T extends object>(
  setUp: (cluster: Cluster) => T,
): (cluster: Cluster) => T {
  const byCluster = new WeakMap<Cluster, T>();
  return (cluster) => {
    let value = byCluster.get(cluster);
    if (value === undefined) {
      value = setUp(cluster);
      byCluster.set(cluster, value);
    }
    return value;
  };
}
