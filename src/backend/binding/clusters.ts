// The clusters the HTTP front door serves. Every replica serves HTTP, but only the leader runs
// the controllers, so the front door keeps its own view of the provider's clusters: a provider
// engages them here too, each with informers for what requests read (templates, collections,
// contract namespaces). A cluster is usable once those caches have synced.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { Namespaces } from '../../kube/resources.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { ClusterSink } from '../../runtime/manager/provider.ts';
import { BackendError } from '../errors.ts';
import { namespaceLookup } from './provisioner.ts';

/** One engaged cluster with the caches the front door reads. */
export interface ServedCluster {
  readonly cluster: Cluster;
  readonly templates: Informer<kb.APIServiceExportTemplate>;
  readonly collections: Informer<kb.Collection>;
  readonly namespaces: Informer<Namespace>;
  readonly namespacesByIdentity: (identity: string) => readonly Namespace[];
}

/**
 * How a request's `cluster_id` names a cluster: the default provider has one cluster, reached
 * with an empty id; kcp names logical clusters.
 */
export type ClusterNaming = (clusterId: string) => string | undefined;

export const singleCluster =
  (name: string): ClusterNaming =>
  (clusterId) =>
    clusterId === '' ? name : undefined;

export interface ServedClustersOptions {
  naming: ClusterNaming;
  /** True once the provider has announced the clusters that exist (kcp: maybe none yet). */
  settled: () => boolean;
  log: Logger;
}

export class ServedClusters implements ClusterSink {
  readonly #clusters = new Map<string, ServedCluster>();
  readonly #synced = new Set<string>();
  readonly #naming: ClusterNaming;
  readonly #settled: () => boolean;
  readonly #log: Logger;

  constructor(opts: ServedClustersOptions) {
    this.#naming = opts.naming;
    this.#settled = opts.settled;
    this.#log = opts.log;
  }

  async engage(cluster: Cluster): Promise<void> {
    const { informers } = cluster;
    const namespaces = informers.informerFor(Namespaces);
    const served: ServedCluster = {
      cluster,
      templates: informers.informerFor(kb.APIServiceExportTemplates),
      collections: informers.informerFor(kb.Collections),
      namespaces,
      namespacesByIdentity: namespaceLookup(namespaces),
    };
    this.#clusters.set(cluster.name, served);
    informers.start();
    await informers.waitForSync();
    if (this.#clusters.get(cluster.name) === served) {
      this.#synced.add(cluster.name);
      this.#log.info({ cluster: cluster.name }, 'serving cluster');
    }
  }

  disengage(name: string): Promise<void> {
    this.#clusters.delete(name);
    this.#synced.delete(name);
    return Promise.resolve();
  }

  /** How many clusters are engaged now. */
  get size(): number {
    return this.#clusters.size;
  }

  /** True once the provider has settled and every engaged cluster's caches synced. */
  ready(): boolean {
    return this.#settled() && this.#synced.size === this.#clusters.size;
  }

  /** The cluster a request's cluster_id names; NotFound or Unavailable otherwise. */
  get(clusterId: string): ServedCluster {
    const name = this.#naming(clusterId);
    const served = name === undefined ? undefined : this.#clusters.get(name);
    if (!served || name === undefined) {
      throw new BackendError(
        'NotFound',
        clusterId === ''
          ? 'This backend serves named clusters only: give cluster_id'
          : `Cluster "${clusterId}" is not served by this backend`,
      );
    }
    if (!this.#synced.has(name)) {
      throw new BackendError('Unavailable', 'The backend is still starting; try again shortly');
    }
    return served;
  }
}
