// Gauges of the multi-cluster side, read when /metrics is scraped: how many clusters each part
// of the backend has engaged, and how many watches its provider holds open. With kcp the watch
// count stays flat as logical clusters come and go (one wildcard watch per resource), which is
// what an operator checks for leaks.
import { Gauge, type Registry } from 'prom-client';

export interface ClusterGaugeSource {
  /** `controllers` (the leader's manager) or `front-door` (every replica). */
  component: string;
  engagedClusters: () => number;
  openWatches: () => number;
}

export function registerClusterGauges(
  registry: Registry,
  sources: readonly ClusterGaugeSource[],
): void {
  new Gauge({
    name: 'kube_bind_engaged_clusters',
    help: 'Clusters engaged now (kcp: logical clusters bound to the APIExport), by component',
    labelNames: ['component'] as const,
    registers: [registry],
    collect() {
      for (const s of sources) this.set({ component: s.component }, s.engagedClusters());
    },
  });
  new Gauge({
    name: 'kube_bind_provider_open_watches',
    help: 'Watches the cluster provider holds open, by component',
    labelNames: ['component'] as const,
    registers: [registry],
    collect() {
      for (const s of sources) this.set({ component: s.component }, s.openWatches());
    },
  });
}
