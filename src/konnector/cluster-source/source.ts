// Where the konnector's provider clusters come from (a runtime Provider, src/runtime/manager —
// not the provider cluster itself): every distinct provider kubeconfig in use on the consumer
// (referenced by an APIServiceBinding or bundle, or a Secret labelled by the plugin) becomes an
// engaged ProviderCluster. A kubeconfig whose content changes (the provider rotated the token) is
// disengaged and engaged again with the new credentials; one that disappears is disengaged and
// everything started for it (informers, syncers, connections) is stopped.
import { createHash } from 'node:crypto';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { konnectorNamespace } from '../../apis/kubebind/konnector-manifests.ts';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { KubeClient } from '../../kube/client.ts';
import type { RequestObserver } from '../../kube/client.ts';
import type { ClusterConnection } from '../../kube/config.ts';
import { Secrets } from '../../kube/resources.ts';
import { SharedInformerFactory } from '../../runtime/cache/factory.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import type { ReflectorMetrics } from '../../runtime/cache/reflector.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ClusterSink, Provider } from '../../runtime/manager/provider.ts';
import { Wakeup } from '../../runtime/wakeup.ts';
import type { ConsumerSide, ProviderCluster, SecretKeyRef } from '../cluster.ts';
import { secretKeyRefName } from '../cluster.ts';
import { SyncerRegistry } from '../sync/registry.ts';
import { providerKubeconfigLabel } from '../../apis/kubebind/wire.ts';
import { checkProviderSecret, providerRefs, refOf } from './kubeconfig-secret.ts';
import { reportSecretProblem } from './secret-status.ts';

export interface KubeconfigClusterSourceOptions {
  consumer: ConsumerSide;
  clock: Clock;
  log: Logger;
  metrics?: { reflector?: ReflectorMetrics; requests?: RequestObserver };
}

/** A provider kubeconfig in use, checked (kubeconfig-secret.ts). */
interface Desired {
  ref: SecretKeyRef;
  text: string;
  contract: string;
  connection: ClusterConnection;
}

interface Engaged {
  fingerprint: string;
  cluster: ProviderCluster;
  providerInformers: SharedInformerFactory;
  engaging: Promise<void>;
}

export class KubeconfigClusterSource implements Provider<ProviderCluster> {
  readonly #options: KubeconfigClusterSourceOptions;
  readonly #engaged = new Map<string, Engaged>();
  readonly #secretInformers = new Map<string, Informer<Secret>>();
  readonly #wakeup = new Wakeup();

  constructor(opts: KubeconfigClusterSourceOptions) {
    this.#options = opts;
  }

  /** Names of the provider clusters engaged now. */
  get engaged(): string[] {
    return [...this.#engaged.keys()];
  }

  async run(sink: ClusterSink<ProviderCluster>, signal: AbortSignal): Promise<void> {
    const { informers } = this.#options.consumer;
    const bindings = informers.informerFor(kb.APIServiceBindings);
    const bundles = informers.informerFor(kb.APIServiceBindingBundles);
    // The plugin keeps provider kubeconfigs in the konnector's namespace, the only one whose
    // Secrets the konnector's base role may read.
    const labelled = informers.informerFor(Secrets, {
      namespace: konnectorNamespace,
      labelSelector: `${providerKubeconfigLabel}=true`,
    });
    const handler = { add: this.#poke, update: this.#poke, delete: this.#poke };
    const watched = [bindings, bundles, labelled];
    const registrations = watched.map((informer) => informer.addEventHandler(handler));
    informers.start();
    try {
      await Promise.all(watched.map((informer) => informer.waitForSync(signal)));
      for (;;) {
        await this.#wakeup.wait(signal);
        if (signal.aborted) break;
        await this.#reconcile(
          sink,
          signal,
          bindings.lister.list(),
          bundles.lister.list(),
          labelled.lister.list(),
        );
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      for (const registration of registrations) registration.remove();
      await Promise.all([...this.#engaged.keys()].map((name) => this.#disengage(sink, name)));
    }
  }

  readonly #poke = (): void => this.#wakeup.poke();

  /** The Secrets of `namespace`, watched from the first reference into it. */
  #secretsIn(namespace: string, signal: AbortSignal): Informer<Secret> {
    let informer = this.#secretInformers.get(namespace);
    if (!informer) {
      informer = this.#options.consumer.informers.informerFor(Secrets, { namespace });
      informer.addEventHandler({ add: this.#poke, update: this.#poke, delete: this.#poke });
      this.#secretInformers.set(namespace, informer);
      // An empty first list brings no events: look again once it is in.
      informer.waitForSync(signal).then(this.#poke, () => undefined);
    }
    return informer;
  }

  async #reconcile(
    sink: ClusterSink<ProviderCluster>,
    signal: AbortSignal,
    bindings: readonly kb.APIServiceBinding[],
    bundles: readonly kb.APIServiceBindingBundle[],
    labelled: readonly Secret[],
  ): Promise<void> {
    const desired = new Map<string, Desired>();
    for (const ref of providerRefs(bindings, bundles, labelled)) {
      const secrets = this.#secretsIn(ref.namespace, signal);
      if (!secrets.hasSynced()) {
        // Its first list pokes us again.
        continue;
      }
      const check = checkProviderSecret(ref, secrets.lister.get(`${ref.namespace}/${ref.name}`));
      if (!check.ok) {
        const { client } = this.#options.consumer;
        const now = this.#options.clock.now();
        const uses = <T extends kb.APIServiceBinding | kb.APIServiceBindingBundle>(
          list: readonly T[],
        ) => list.filter((o) => sameRef(refOf(o), ref));
        await reportSecretProblem(
          client,
          kb.APIServiceBindings,
          uses(bindings),
          check,
          now,
          this.#options.log,
        );
        await reportSecretProblem(
          client,
          kb.APIServiceBindingBundles,
          uses(bundles),
          check,
          now,
          this.#options.log,
        );
      }
      if (check.ok) {
        desired.set(secretKeyRefName(ref), {
          ref,
          text: check.text,
          contract: check.contractNamespace,
          connection: check.connection,
        });
      }
    }
    for (const [name, engaged] of [...this.#engaged]) {
      const want = desired.get(name);
      if (!want || fingerprint(want.text) !== engaged.fingerprint)
        await this.#disengage(sink, name);
    }
    for (const [name, want] of desired) {
      if (this.#engaged.has(name)) continue;
      try {
        this.#engage(sink, name, want);
      } catch (err) {
        this.#options.log.error({ err, cluster: name }, 'cannot connect to the provider');
      }
    }
  }

  #engage(sink: ClusterSink<ProviderCluster>, name: string, want: Desired): void {
    const { clock, log, metrics, consumer } = this.#options;
    // The connection checkProviderSecret built from the allow-listed fields.
    const { ref: secret, text, contract: contractNamespace, connection } = want;
    const providerClient = new KubeClient(connection, {
      userAgent: 'kube-bind-ts-konnector',
      // The provider's server, named by its Secret: bounded, with room for paged lists.
      maxResponseBytes: 256 * 2 ** 20,
      ...(metrics?.requests && { observer: metrics.requests }),
    });
    const providerInformers = new SharedInformerFactory({
      client: providerClient,
      clock,
      log: log.child({ side: 'provider', cluster: name }),
      ...(metrics?.reflector && { metrics: metrics.reflector }),
    });
    const cluster: ProviderCluster = {
      name,
      providerClient,
      providerInformers,
      client: providerClient,
      informers: providerInformers,
      contractNamespace,
      secret,
      consumer,
      syncers: new SyncerRegistry(log.child({ cluster: name })),
    };
    const engaging = sink
      .engage(cluster)
      .catch((err: unknown) => log.error({ err, cluster: name }, 'engage failed'));
    this.#engaged.set(name, {
      fingerprint: fingerprint(text),
      cluster,
      providerInformers,
      engaging,
    });
    log.info({ cluster: name, contractNamespace, server: connection.server }, 'provider engaged');
  }

  async #disengage(sink: ClusterSink<ProviderCluster>, name: string): Promise<void> {
    const engaged = this.#engaged.get(name);
    if (!engaged) return;
    this.#engaged.delete(name);
    await sink.disengage(name);
    await engaged.engaging;
    await engaged.cluster.syncers.stopAll();
    await engaged.providerInformers.stop();
    await engaged.cluster.providerClient.close();
    this.#options.log.info({ cluster: name }, 'provider disengaged');
  }
}

function sameRef(a: SecretKeyRef | undefined, b: SecretKeyRef): boolean {
  return !!a && secretKeyRefName(a) === secretKeyRefName(b);
}

function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
