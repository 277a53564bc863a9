// The kcp provider (docs/controllers.md §6.3): logical clusters behind an APIExport. It watches
// the named APIExportEndpointSlice in the export's workspace for the virtual-workspace URL, then
// serves every bound workspace through ONE wildcard informer per resource on that URL
// (`/clusters/*/…`, keys prefixed with the cluster). A workspace is engaged while it holds a
// Bound APIBinding of the export (APIBindings are a permission claim of kube-bind.io, so the
// virtual workspace lists them) and disengaged when it no longer does; its controllers see only
// its objects through a ScopedInformerFactory and write through a client for `/clusters/<id>`.
import type { Logger } from 'pino';
import { KubeClient } from '../../kube/client.ts';
import type { RequestObserver } from '../../kube/client.ts';
import type { ClusterConnection } from '../../kube/config.ts';
import { resourceType } from '../../kube/resource.ts';
import type { KubeObject } from '../../kube/resource.ts';
import { SharedInformerFactory } from '../../runtime/cache/factory.ts';
import { clusterAwareKey, clusterOf } from '../../runtime/cache/keys.ts';
import type { ReflectorMetrics } from '../../runtime/cache/reflector.ts';
import { ScopedInformerFactory } from '../../runtime/cache/scoped.ts';
import type { Clock, Timer } from '../../runtime/clock.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { ClusterSink, Provider } from '../../runtime/manager/provider.ts';
import { Wakeup } from '../../runtime/wakeup.ts';
import { APIBindings } from './bootstrap.ts';

/** How soon a logical cluster whose engagement failed is tried again. */
const engageRetryMs = 10_000;

interface EndpointSlice extends KubeObject {
  spec?: { export?: { name?: string; path?: string } };
  status?: { endpoints?: { url: string }[] };
}

export const APIExportEndpointSlices = resourceType<EndpointSlice>({
  group: 'apis.kcp.io',
  version: 'v1alpha1',
  resource: 'apiexportendpointslices',
  kind: 'APIExportEndpointSlice',
  namespaced: false,
});

export interface KcpProviderOptions {
  /** The workspace that holds the APIExport and its endpoint slice (`…/clusters/root:kube-bind`). */
  connection: ClusterConnection;
  endpointSliceName: string;
  /** The APIExport whose bindings mark engaged workspaces (default `kube-bind.io`). */
  exportName?: string;
  clock: Clock;
  log: Logger;
  metrics?: { reflector?: ReflectorMetrics; requests?: RequestObserver };
}

interface BindingLike extends KubeObject {
  spec?: { reference?: { export?: { name?: string; path?: string } } };
  status?: { phase?: string };
}

/** The logical clusters that hold a Bound APIBinding of `exportName` not being deleted, sorted. */
export function boundClusters(bindings: readonly BindingLike[], exportName: string): string[] {
  const clusters = new Set<string>();
  for (const b of bindings) {
    const cluster = clusterOf(b);
    // A binding being deleted no longer counts: the workspace is leaving, and controllers that
    // went on writing into it would only race kcp's removal of the bound objects.
    const leaving = b.metadata?.deletionTimestamp !== undefined;
    const bound = b.status?.phase === 'Bound' && !leaving;
    if (cluster && b.spec?.reference?.export?.name === exportName && bound) {
      clusters.add(cluster);
    }
  }
  return [...clusters].sort();
}

/** The first virtual-workspace URL of an endpoint slice, if it has one yet. */
export function endpointURL(slice: EndpointSlice | undefined): string | undefined {
  return slice?.status?.endpoints?.find((e) => e.url)?.url;
}

export class KcpProvider implements Provider {
  readonly #o: KcpProviderOptions;
  readonly #clients = new Set<KubeClient>();
  readonly #engaged = new Map<string, Promise<void>>();
  readonly #wakeup = new Wakeup();
  #settled = false;

  constructor(opts: KcpProviderOptions) {
    this.#o = opts;
  }

  /** Watches open on the connections this provider made (0 once it has stopped). */
  get openWatches(): number {
    return [...this.#clients].reduce((n, c) => n + c.openWatches, 0);
  }

  /** The logical clusters engaged now. */
  get engaged(): string[] {
    return [...this.#engaged.keys()];
  }

  /** True once the bound workspaces have been listed and each announced (engaging may go on). */
  get settled(): boolean {
    return this.#settled;
  }

  async run(sink: ClusterSink, signal: AbortSignal): Promise<void> {
    const { log } = this.#o;
    const workspace = this.#client(this.#o.connection);
    const wsFactory = this.#factory(workspace, log.child({ side: 'apiexport-workspace' }));
    const slices = wsFactory.informerFor(APIExportEndpointSlices, {
      fieldSelector: `metadata.name=${this.#o.endpointSliceName}`,
    });
    slices.addEventHandler({ add: this.#poke, update: this.#poke, delete: this.#poke });
    wsFactory.start();
    let served: { url: string; stop: () => Promise<void> } | undefined;
    try {
      await slices.waitForSync(signal);
      for (;;) {
        await this.#wakeup.wait(signal);
        if (signal.aborted) break;
        const url = endpointURL(slices.lister.get(this.#o.endpointSliceName));
        if (url !== served?.url) {
          await served?.stop();
          served = url ? this.#serve(url, sink, signal) : undefined;
          if (!url)
            log.info({ slice: this.#o.endpointSliceName }, 'waiting for a virtual-workspace URL');
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await served?.stop();
      await wsFactory.stop();
      await this.#closeAll();
    }
  }

  /** Serves the bound workspaces behind one virtual-workspace URL until `stop`. */
  #serve(
    url: string,
    sink: ClusterSink,
    signal: AbortSignal,
  ): { url: string; stop: () => Promise<void> } {
    const { log } = this.#o;
    const vw = this.#client({ ...this.#o.connection, server: url });
    const wildcardClient = vw.cluster('*');
    const wildcard = this.#factory(wildcardClient, log.child({ side: 'virtual-workspace' }), true);
    const bindings = wildcard.informerFor(APIBindings);
    let retry: Timer | undefined;
    const reconcile = async (): Promise<void> => {
      const want = new Set(boundClusters(bindings.lister.list(), this.#exportName));
      for (const name of [...this.#engaged.keys()]) {
        if (!want.has(name)) await this.#disengage(sink, name);
      }
      for (const name of want) {
        if (this.#engaged.has(name)) continue;
        const cluster: Cluster = {
          name,
          client: vw.cluster(name),
          informers: new ScopedInformerFactory(wildcard, name),
        };
        this.#engaged.set(
          name,
          this.#engage(sink, cluster, () => (retry ??= retryLater())),
        );
        log.info({ cluster: name }, 'logical cluster engaged');
      }
      if (bindings.hasSynced()) this.#settled = true;
    };
    let running = Promise.resolve();
    const schedule = (): void => {
      running = running
        .then(reconcile)
        .catch((err: unknown) => log.error({ err }, 'engage pass failed'));
    };
    // A failed engagement is tried again on the next pass; a quiet workspace gets one soon.
    const retryLater = (): Timer =>
      this.#o.clock.setTimer(engageRetryMs, () => {
        retry = undefined;
        schedule();
      });
    const registration = bindings.addEventHandler({
      add: schedule,
      update: schedule,
      delete: schedule,
    });
    wildcard.start();
    void bindings.waitForSync(signal).then(schedule, () => undefined);
    log.info({ url }, 'serving the APIExport virtual workspace');
    return {
      url,
      stop: async () => {
        registration.remove();
        retry?.cancel();
        await running;
        for (const name of [...this.#engaged.keys()]) await this.#disengage(sink, name);
        await wildcard.stop();
        await this.#close(vw);
      },
    };
  }

  get #exportName(): string {
    return this.#o.exportName ?? 'kube-bind.io';
  }

  /** Engages `cluster`; on failure forgets it, so that `retry` engages it again. */
  async #engage(sink: ClusterSink, cluster: Cluster, retry: () => void): Promise<void> {
    try {
      await sink.engage(cluster);
    } catch (err) {
      this.#o.log.error({ err, cluster: cluster.name }, 'engaging the logical cluster failed');
      if (this.#engaged.has(cluster.name)) {
        this.#engaged.delete(cluster.name);
        await sink.disengage(cluster.name);
        retry();
      }
    }
  }

  async #disengage(sink: ClusterSink, name: string): Promise<void> {
    const engaging = this.#engaged.get(name);
    this.#engaged.delete(name);
    await sink.disengage(name);
    await engaging;
    this.#o.log.info({ cluster: name }, 'logical cluster disengaged');
  }

  #client(connection: ClusterConnection): KubeClient {
    const client = new KubeClient(connection, {
      userAgent: 'kube-bind-ts-kcp-provider',
      ...(this.#o.metrics?.requests && { observer: this.#o.metrics.requests }),
    });
    this.#clients.add(client);
    return client;
  }

  #factory(client: KubeClient, log: Logger, wildcard = false): SharedInformerFactory {
    return new SharedInformerFactory({
      client,
      clock: this.#o.clock,
      log,
      ...(wildcard && { keyFunc: clusterAwareKey }),
      ...(this.#o.metrics?.reflector && { metrics: this.#o.metrics.reflector }),
    });
  }

  async #close(client: KubeClient): Promise<void> {
    this.#clients.delete(client);
    await client.close();
  }

  async #closeAll(): Promise<void> {
    for (const c of [...this.#clients]) await this.#close(c);
  }

  readonly #poke = (): void => this.#wakeup.poke();
}
