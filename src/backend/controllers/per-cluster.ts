// Controllers run on every engaged cluster (one in the default provider, many with kcp) and set
// up their informers once per cluster. This memoises that set-up by cluster name.
import type { Cluster } from '../../runtime/cluster.ts';

export function perCluster<T>(setUp: (cluster: Cluster) => T): (cluster: Cluster) => T {
  const byName = new Map<string, T>();
  return (cluster) => {
    let value = byName.get(cluster.name);
    if (value === undefined) {
      value = setUp(cluster);
      byName.set(cluster.name, value);
    }
    return value;
  };
}
