// What a syncer's reconcilers share: the settings of one bound resource (or claim) and the view
// of its informers they read through. Apart from resource-syncer.ts, which builds the view, so
// that the reconcilers (spec.ts, status.ts, claim.ts) need not import the module that starts them.
import type { APIServiceExport, Selector } from '../../apis/kubebind/types.gen.ts';
import type * as kb from '../../apis/kubebind/types.gen.ts';
import type { ResourceType } from '../../kube/resource.ts';
import type { Informer } from '../../runtime/cache/informer.ts';
import type { ProviderCluster } from '../cluster.ts';
import { namespaceMap } from '../placement.ts';
import type { Placement, WatchScope } from '../placement.ts';
import type { SyncObject } from './decide.ts';

export interface ResourceSyncSettings {
  binding: string;
  export: Pick<APIServiceExport, 'metadata'>;
  consumerType: ResourceType<SyncObject>;
  providerType: ResourceType<SyncObject>;
  /** Whether the consumer CRD has the status subresource. */
  consumerStatusSubresource: boolean;
  placement: Placement;
  scope: WatchScope;
  /**
   * A permission claim: only the objects it selects are synced, both ways by owner
   * (claim-decide.ts), without finalizers or status.
   */
  claim?: {
    selector: Selector;
    /** The resources `selector.references` read, resolved to versions. */
    references: { type: ResourceType; jsonPath: { name?: string; namespace?: string } }[];
  };
}

/** What the spec and status reconcilers read and write. */
export interface SyncView {
  settings: ResourceSyncSettings;
  cluster: ProviderCluster;
  consumer: Informer<SyncObject>;
  serviceNamespaces: Informer<kb.APIServiceNamespace>;
  /** The provider object at `key`, from whichever provider informer watches it. */
  provider(key: { namespace?: string; name: string }): SyncObject | undefined | 'unwatched';
  /** The contract Namespace's UID, read once per syncer. */
  contractNamespaceUID(): Promise<string | undefined>;
  /**
   * Whether this object is synced at all (claims select; bound resources: all). `namespace` is
   * the consumer namespace it counts in (a provider object's maps to one).
   */
  selects(obj: SyncObject, namespace?: string): boolean;
}

/** The consumer ↔ provider namespace map of the contract namespace's APIServiceNamespaces. */
export function namespaceMapOf(informer: Informer<kb.APIServiceNamespace>) {
  return namespaceMap(informer.lister.list());
}
