// A cluster as controllers see it: a name, a client for writes and direct reads, and the shared
// informers that feed caches. A provider creates one per cluster it engages (the single cluster
// of a plain Kubernetes provider, or each kcp logical cluster behind an APIExport).
import type { KubeClient } from '../kube/client.ts';
import type { InformerFactory } from './cache/factory.ts';

export interface Cluster {
  /** Unique within a provider; kcp: the logical cluster name. */
  readonly name: string;
  /** Writes and uncached reads against this cluster. */
  readonly client: KubeClient;
  /** Cached reads; informers are shared by every controller engaged on this cluster. */
  readonly informers: InformerFactory;
}
