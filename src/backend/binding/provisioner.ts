// Consumer provisioning (upstream's "HandleResources", docs/controllers.md §3): the contract
// namespace named from the consumer's identity, the ClusterBinding, the `kube-binder` service
// account with its token, role and binding, and the kubeconfig the consumer's konnector uses.
// Called by the HTTP bind flow and by the BindableResourcesRequest controller.
//
// Idempotent: each object is read first and only written when missing or different, so a second
// call for the same consumer issues no writes and returns the same kubeconfig.
import type { Namespace, Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { contractNamespaceName } from '../../apis/kubebind/identity-hash.ts';
import * as kb from '../../apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../kube/client.ts';
import { PatchType } from '../../kube/client.ts';
import { retryOnConflict } from '../../kube/conflict.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../kube/errors.ts';
import { ResourceClient, type KubeObject } from '../../kube/resource.ts';
import {
  ClusterRoles,
  Namespaces,
  RoleBindings,
  Secrets,
  ServiceAccounts,
} from '../../kube/resources.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import type { Clock } from '../../runtime/clock.ts';
import { BackendError } from '../errors.ts';
import {
  binderClusterRole,
  binderName,
  binderRoleBinding,
  binderServiceAccount,
  binderTokenSecret,
  clusterBinding,
  clusterBindingName,
  contractNamespace,
  formatOwners,
  kubeconfigSecretKey,
  sameRules,
  type ConsumerIdentity,
} from '../resources/consumer.ts';
import { renderKubeconfig } from '../resources/kubeconfig.ts';
import {
  identityAnnotation,
  legacyIdentityAnnotation,
  ownersAnnotation,
} from '../../apis/kubebind/wire.ts';
import { decideOwnership, describeOwner } from './ownership.ts';

export interface ProvisionerConfig {
  namespacePrefix: string;
  /** ClusterBinding.spec.providerPrettyName. */
  prettyName: string;
  /** The server URL put into kubeconfigs (--external-address, or the cluster's own). */
  server: string;
  /** The CA put into kubeconfigs (--external-ca-file, or the cluster's own). */
  caPem: string;
  /** --external-server-name. */
  serverName?: string;
  /** How long to wait for the service account token (upstream: 10 s, polled every 500 ms). */
  tokenTimeoutMs?: number;
  tokenPollMs?: number;
}

export interface ProvisionerDeps {
  client: KubeClient;
  /** Contract namespaces carrying this identity annotation (from an informer index). */
  namespacesByIdentity: (identity: string) => readonly Namespace[];
  clock: Clock;
  log: Logger;
}

export interface Provisioned {
  namespace: string;
  kubeconfig: string;
}

export class ConsumerProvisioner {
  readonly #config: ProvisionerConfig;
  readonly #deps: ProvisionerDeps;

  constructor(config: ProvisionerConfig, deps: ProvisionerDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  async provision(who: ConsumerIdentity, signal?: AbortSignal): Promise<Provisioned> {
    const { client, log } = this.#deps;
    const namespace = await this.#ensureNamespace(who);
    const binding = await this.#ensureClusterBinding(namespace, who);
    await getOrCreate(
      new ResourceClient(client, ServiceAccounts, namespace),
      binderServiceAccount(namespace),
    );
    await this.#ensureClusterRole();
    await getOrCreate(new ResourceClient(client, Secrets, namespace), binderTokenSecret(namespace));
    await this.#ensureRoleBinding(namespace);
    const token = await this.#waitForToken(namespace, signal);
    const kubeconfig = renderKubeconfig({
      server: this.#config.server,
      caPem: this.#config.caPem,
      ...(this.#config.serverName && { serverName: this.#config.serverName }),
      namespace,
      token,
    });
    await this.#writeKubeconfig(namespace, binding.spec.kubeconfigSecretRef.name, kubeconfig);
    log.info(
      { namespace, identity: who.identity, author: who.author, owner: who.owner },
      'consumer provisioned',
    );
    return { namespace, kubeconfig };
  }

  /** Finds the consumer's namespace by its identity annotation, or creates it (controllers.md §3.1). */
  async #ensureNamespace(who: ConsumerIdentity): Promise<string> {
    const found = this.#deps.namespacesByIdentity(who.identity);
    if (found.length > 1) {
      const names = found.map((ns) => ns.metadata?.name ?? '').join(', ');
      throw new BackendError(
        'MultipleNamespaces',
        `found multiple namespaces for identity ${who.identity}: ${names}`,
      );
    }
    const existing = found[0];
    if (existing?.metadata?.name) {
      await this.#checkOwner(existing, who);
      return existing.metadata.name;
    }

    const namespaces = new ResourceClient(this.#deps.client, Namespaces);
    const name = contractNamespaceName(this.#config.namespacePrefix, who.identity);
    try {
      await namespaces.create(contractNamespace(name, who));
      return name;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    // The name is taken: ours (a cache that lags, or an older backend's annotation) or not.
    const live = await namespaces.get(name);
    const annotations = live.metadata?.annotations ?? {};
    const ours = [identityAnnotation, legacyIdentityAnnotation].some(
      (key) => annotations[key] === who.identity,
    );
    if (ours) await this.#checkOwner(live, who);
    if (annotations[identityAnnotation] === who.identity) return name;
    if (annotations[legacyIdentityAnnotation] === who.identity) {
      await namespaces.patch(name, PatchType.merge, {
        metadata: {
          annotations: { [identityAnnotation]: who.identity, [legacyIdentityAnnotation]: null },
        },
      });
      this.#deps.log.info({ namespace: name }, 'migrated the legacy identity annotation');
      return name;
    }
    throw new BackendError(
      'NamespaceCollision',
      `namespace ${name} exists and belongs to another consumer; it cannot be used for identity ${who.identity}`,
    );
  }

  /**
   * Refuses (403) a consumer whose namespace someone else provisioned, before anything is
   * written; records the owner of a namespace provisioned before owners were recorded, when the
   * recorded author is this very user (binding/ownership.ts).
   */
  async #checkOwner(namespace: Namespace, who: ConsumerIdentity): Promise<void> {
    const name = namespace.metadata?.name ?? '';
    const namespaces = new ResourceClient(this.#deps.client, Namespaces);
    let seen = namespace;
    await retryOnConflict(async () => {
      const decision = decideOwnership(seen.metadata?.annotations ?? {}, who.owner);
      if (decision.kind === 'owned') return;
      if (decision.kind === 'refused') throw this.#refusal(name, who, decision.why);
      try {
        // Only over the version decided on: a concurrent edit of the owners is read again.
        await namespaces.patch(name, PatchType.merge, {
          metadata: {
            resourceVersion: seen.metadata?.resourceVersion,
            annotations: { [ownersAnnotation]: formatOwners(decision.owners) },
          },
        });
      } catch (err) {
        if (err instanceof ConflictError) seen = await namespaces.get(name);
        throw err;
      }
      this.#deps.log.info(
        { namespace: name, owner: who.owner },
        'recorded the owner of a namespace provisioned before owners were recorded',
      );
    });
  }

  #refusal(namespace: string, who: ConsumerIdentity, why: string): BackendError {
    this.#deps.log.warn(
      { namespace, identity: who.identity, owner: who.owner, why },
      'refused a consumer namespace to someone who does not own it',
    );
    return new BackendError(
      'Forbidden',
      'This consumer cluster was bound to this provider by someone else',
      {
        details:
          `The provider namespace ${namespace} of consumer identity "${who.identity}" may not be ` +
          `used by you: ${why}. To share a consumer cluster, bind as the identity that bound it ` +
          `first, or ask the provider's operator to add ${describeOwner(who.owner)} to the JSON ` +
          `list in annotation ${ownersAnnotation} of namespace ${namespace}.`,
      },
    );
  }

  async #ensureClusterBinding(
    namespace: string,
    who: ConsumerIdentity,
  ): Promise<kb.ClusterBinding> {
    const bindings = new ResourceClient(this.#deps.client, kb.ClusterBindings, namespace);
    return getOrCreate(
      bindings,
      clusterBinding(namespace, this.#config.prettyName, who),
      clusterBindingName,
    );
  }

  /** The cluster-wide `kube-binder` role: created, or replaced when its rules differ. */
  async #ensureClusterRole(): Promise<void> {
    const roles = new ResourceClient(this.#deps.client, ClusterRoles);
    const desired = binderClusterRole();
    const live = await getOrCreate(roles, desired);
    if (sameRules(live.rules ?? [], desired.rules ?? [])) return;
    await retryOnConflict(async () => {
      const current = await roles.get(binderName);
      await roles.update({ ...current, rules: desired.rules ?? [] });
    });
  }

  async #ensureRoleBinding(namespace: string): Promise<void> {
    const bindings = new ResourceClient(this.#deps.client, RoleBindings, namespace);
    const desired = binderRoleBinding(namespace);
    const live = await getOrCreate(bindings, desired);
    if (JSON.stringify(live.subjects ?? []) === JSON.stringify(desired.subjects)) return;
    await retryOnConflict(async () => {
      const current = await bindings.get(binderName);
      await bindings.update({ ...current, subjects: desired.subjects ?? [] });
    });
  }

  /** kube-controller-manager fills the legacy token secret; wait for token and ca.crt. */
  async #waitForToken(namespace: string, signal?: AbortSignal): Promise<string> {
    const secrets = new ResourceClient(this.#deps.client, Secrets, namespace);
    const timeout = this.#config.tokenTimeoutMs ?? 10_000;
    const deadline = this.#deps.clock.now() + timeout;
    for (;;) {
      const secret = await secrets.get(binderName, signal);
      const token = secret.data?.['token'];
      if (token && secret.data?.['ca.crt']) return Buffer.from(token, 'base64').toString('utf8');
      if (this.#deps.clock.now() >= deadline) {
        throw new BackendError(
          'TokenTimeout',
          `the token of service account ${namespace}/${binderName} was not issued within ${timeout / 1000}s ` +
            '(is kube-controller-manager running with its token controller?)',
        );
      }
      await this.#deps.clock.sleep(this.#config.tokenPollMs ?? 500, signal);
    }
  }

  /** Writes the kubeconfig secret: created, or its data replaced when it differs. */
  async #writeKubeconfig(namespace: string, name: string, kubeconfig: string): Promise<void> {
    const secrets = new ResourceClient(this.#deps.client, Secrets, namespace);
    const data = { [kubeconfigSecretKey]: Buffer.from(kubeconfig).toString('base64') };
    const desired: Secret = { metadata: { name, namespace }, data };
    const live = await getOrCreate(secrets, desired);
    if (live.data?.[kubeconfigSecretKey] === data[kubeconfigSecretKey]) return;
    await retryOnConflict(async () => {
      const current = await secrets.get(name);
      await secrets.update({ ...current, data });
    });
  }
}

/** The live object, creating `obj` when it does not exist (a concurrent create is tolerated). */
async function getOrCreate<T extends KubeObject>(
  resource: ResourceClient<T>,
  obj: T,
  name = obj.metadata?.name ?? '',
): Promise<T> {
  try {
    return await resource.get(name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    return await resource.create(obj);
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
    return resource.get(name);
  }
}

/** The index of contract namespaces by their identity annotation (upstream's name). */
export const namespacesByIdentityIndex = 'namespacesByIdentity';

export const identityOfNamespace = (ns: Namespace): readonly string[] => {
  const identity = ns.metadata?.annotations?.[identityAnnotation];
  return identity ? [identity] : [];
};

/** A lookup for the provisioner, served from a namespace informer's index. */
export function namespaceLookup(
  informer: Informer<Namespace>,
): (identity: string) => readonly Namespace[] {
  informer.addIndexer(namespacesByIdentityIndex, identityOfNamespace);
  return (identity) => informer.lister.byIndex(namespacesByIdentityIndex, identity);
}
