// Where a consumer object lives on the provider, and back (docs/controllers.md §5.9). Pure: the
// sync controllers pick a strategy once per export and bound resource, then map keys with it.
//
// | consumer CRD | provider schema | isolation       | provider object                                      |
// | ------------ | --------------- | --------------- | ---------------------------------------------------- |
// | Namespaced   | Namespaced      | Prefixed / None | ns = APIServiceNamespace(consumer ns).status.namespace |
// | Cluster      | Cluster         | Prefixed        | cluster-scoped, name `<contract-ns>-<name>`          |
// | Cluster      | Cluster         | None            | cluster-scoped, same name                            |
// | Cluster      | Namespaced      | Namespaced      | in the contract namespace, same name                 |
//
// Every other combination is a misconfiguration that retrying does not fix: a PlacementError.
import type {
  APIServiceExportSpec,
  APIServiceNamespace,
  InformerScope,
  Isolation,
  ResourceScope,
} from '../apis/kubebind/types.gen.ts';
import { TerminalError } from '../runtime/controller/result.ts';
import { byCodeUnits } from '../apis/order.ts';

/** A CRD's scope, on either cluster. */
export type Scope = ResourceScope;
export type { InformerScope, Isolation };

/** An object's key: `namespace` is absent for cluster-scoped objects. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

/** The four rows of controllers.md §5.9, by name ("ServiceNamespaced" is upstream's internal strategy name). */
export type PlacementStrategy =
  'ServiceNamespaced' | 'ClusterPrefixed' | 'ClusterNone' | 'ContractNamespaced';

export interface PlacementInput {
  /** The export's isolation (see `exportIsolation`). */
  isolation: Isolation;
  /** The scope of the consumer CRD (the BoundSchema's `spec.scope`). */
  consumerScope: Scope;
  /** The scope of the resource on the provider cluster. */
  providerScope: Scope;
  /** The contract namespace: the provider kubeconfig context's namespace. */
  contractNamespace: string;
}

/**
 * Consumer namespace ↔ provider namespace, from the contract namespace's APIServiceNamespaces
 * (name = consumer namespace, `status.namespace` = provider namespace).
 */
export interface NamespaceMap {
  /** The provider namespace of a consumer namespace; undefined while the backend has not assigned it. */
  providerNamespace(consumerNamespace: string): string | undefined;
  /** The consumer namespace whose provider namespace this is; undefined when none is. */
  consumerNamespace(providerNamespace: string): string | undefined;
}

/** An invalid isolation/scope combination or a key of the wrong shape; retrying will not fix it. */
export class PlacementError extends TerminalError {
  constructor(message: string) {
    super(message);
    this.name = 'PlacementError';
  }
}

export interface Placement {
  readonly strategy: PlacementStrategy;
  /** Whether provider objects are namespaced. */
  readonly providerNamespaced: boolean;
  /**
   * The provider key of a consumer object. Undefined only for ServiceNamespaced when the consumer
   * namespace has no provider namespace yet (APIServiceNamespace missing or without status): wait.
   * Throws a PlacementError when the key's shape does not match the consumer scope.
   */
  toProvider(consumer: ObjectKey, namespaces?: NamespaceMap): ObjectKey | undefined;
  /**
   * The consumer key of a provider object, or undefined when the provider object cannot be this
   * consumer's (wrong scope, another namespace, a Prefixed name without the contract prefix).
   * With isolation None on cluster-scoped objects every name maps: check provenance as well.
   */
  toConsumer(provider: ObjectKey, namespaces?: NamespaceMap): ObjectKey | undefined;
}

/** The export's isolation: `isolation`, else the deprecated `clusterScopedIsolation`. */
export function exportIsolation(
  spec: Pick<APIServiceExportSpec, 'isolation' | 'clusterScopedIsolation'>,
): Isolation {
  // The CRD requires `isolation`, but objects written by older clients may carry only the alias.
  const isolation = (spec.isolation as Isolation | '' | undefined) || spec.clusterScopedIsolation;
  if (!isolation)
    throw new PlacementError('export has neither isolation nor clusterScopedIsolation');
  return isolation;
}

/** Which controllers.md §5.9 row an isolation and the two scopes select; throws a PlacementError for no row. */
export function placementStrategy(
  input: Pick<PlacementInput, 'isolation' | 'consumerScope' | 'providerScope'>,
): PlacementStrategy {
  const { isolation, consumerScope, providerScope } = input;
  if (consumerScope === 'Namespaced' && providerScope === 'Namespaced') {
    if (isolation === 'Prefixed' || isolation === 'None') return 'ServiceNamespaced';
  } else if (consumerScope === 'Cluster' && providerScope === 'Cluster') {
    if (isolation === 'Prefixed') return 'ClusterPrefixed';
    if (isolation === 'None') return 'ClusterNone';
  } else if (consumerScope === 'Cluster' && providerScope === 'Namespaced') {
    if (isolation === 'Namespaced') return 'ContractNamespaced';
  }
  throw new PlacementError(
    `unsupported placement: consumer scope ${consumerScope}, provider scope ${providerScope}, ` +
      `isolation ${isolation} (supported: Namespaced/Namespaced with Prefixed or None, ` +
      `Cluster/Cluster with Prefixed or None, Cluster/Namespaced with Namespaced)`,
  );
}

/** The placement for one bound resource of one export; throws a PlacementError for no row. */
export function placement(input: PlacementInput): Placement {
  const strategy = placementStrategy(input);
  const contract = input.contractNamespace;
  if (!contract) throw new PlacementError('the contract namespace is empty');
  const consumerNamespaced = input.consumerScope === 'Namespaced';
  const checkConsumer = (key: ObjectKey): void => {
    if (!key.name) throw new PlacementError('consumer object has no name');
    if (consumerNamespaced && !key.namespace) {
      throw new PlacementError(`consumer object ${key.name} is namespaced but has no namespace`);
    }
    if (!consumerNamespaced && key.namespace) {
      throw new PlacementError(
        `consumer object ${key.namespace}/${key.name} is cluster-scoped but has a namespace`,
      );
    }
  };

  switch (strategy) {
    case 'ServiceNamespaced':
      return {
        strategy,
        providerNamespaced: true,
        toProvider(consumer, namespaces) {
          checkConsumer(consumer);
          const namespace = namespaces?.providerNamespace(consumer.namespace ?? '');
          return namespace ? { namespace, name: consumer.name } : undefined;
        },
        toConsumer(provider, namespaces) {
          if (!provider.namespace || !provider.name) return undefined;
          const namespace = namespaces?.consumerNamespace(provider.namespace);
          return namespace ? { namespace, name: provider.name } : undefined;
        },
      };
    case 'ClusterPrefixed': {
      const prefix = `${contract}-`;
      return {
        strategy,
        providerNamespaced: false,
        toProvider(consumer) {
          checkConsumer(consumer);
          return { name: prefix + consumer.name };
        },
        toConsumer(provider) {
          if (provider.namespace || !provider.name.startsWith(prefix)) return undefined;
          const name = provider.name.slice(prefix.length);
          return name ? { name } : undefined;
        },
      };
    }
    case 'ClusterNone':
      return {
        strategy,
        providerNamespaced: false,
        toProvider(consumer) {
          checkConsumer(consumer);
          return { name: consumer.name };
        },
        toConsumer(provider) {
          return provider.namespace || !provider.name ? undefined : { name: provider.name };
        },
      };
    case 'ContractNamespaced':
      return {
        strategy,
        providerNamespaced: true,
        toProvider(consumer) {
          checkConsumer(consumer);
          return { namespace: contract, name: consumer.name };
        },
        toConsumer(provider) {
          return provider.namespace === contract && provider.name
            ? { name: provider.name }
            : undefined;
        },
      };
  }
}

/**
 * The NamespaceMap of a contract namespace's APIServiceNamespaces. Objects without a name or a
 * `status.namespace` are skipped; when two claim the same provider namespace the first (by name)
 * wins, so the answer does not depend on list order.
 */
export function namespaceMap(serviceNamespaces: readonly APIServiceNamespace[]): NamespaceMap {
  const toProvider = new Map<string, string>();
  const toConsumer = new Map<string, string>();
  const sorted = serviceNamespaces
    .map((sn) => ({ consumer: sn.metadata?.name ?? '', provider: sn.status?.namespace ?? '' }))
    .filter((e) => e.consumer && e.provider)
    .sort((a, b) => byCodeUnits(a.consumer, b.consumer));
  for (const { consumer, provider } of sorted) {
    if (toConsumer.has(provider)) continue;
    toProvider.set(consumer, provider);
    toConsumer.set(provider, consumer);
  }
  return {
    providerNamespace: (ns) => toProvider.get(ns),
    consumerNamespace: (ns) => toConsumer.get(ns),
  };
}

/** Which provider namespaces the konnector's informers for one export watch. */
export type WatchScope = { clusterWide: true } | { clusterWide: false; namespaces: string[] };

export interface WatchScopeInput {
  informerScope: InformerScope;
  /**
   * The resource's scope on the provider. The consumer scope does not matter: for Cluster over
   * Namespaced (isolation Namespaced) the objects sit in the contract namespace, and the backend
   * grants cluster-wide access only for Cluster informer scope or cluster-scoped resources (controllers.md §5.4).
   */
  providerScope: Scope;
  contractNamespace: string;
  /** Every APIServiceNamespace `status.namespace` of the contract namespace. */
  serviceNamespaces: readonly string[];
}

/**
 * controllers.md §5.9's informer-scope rule: one cluster-wide informer when the provider schema or the informer
 * scope is Cluster; otherwise one per provider namespace, the contract namespace first, then the service
 * namespaces sorted and without duplicates or empty names.
 */
export function watchScope(input: WatchScopeInput): WatchScope {
  if (input.informerScope === 'Cluster' || input.providerScope === 'Cluster') {
    return { clusterWide: true };
  }
  const rest = [...new Set(input.serviceNamespaces)]
    .filter((ns) => ns && ns !== input.contractNamespace)
    .sort();
  return { clusterWide: false, namespaces: [input.contractNamespace, ...rest] };
}
