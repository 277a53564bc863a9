// The servicenamespace controller (docs/controllers.md §5.6): every APIServiceNamespace (one
// consumer namespace) gets a provider namespace, named once and then sticky in its status:
// `<contract-ns>-<consumer-ns>` with isolation Prefixed or Namespaced, the consumer's own name
// with None. The namespace is annotated with the APIServiceNamespace it serves; when that is
// deleted, the namespaces annotated for it are deleted too (upstream guesses the name, and misses
// the None case). A namespace that exists but was not created for the APIServiceNamespace, or a
// system namespace, is refused (see decide.ts): the status stays without a namespace and a
// Warning event says why.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { ignoreAlreadyExists, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Namespaces } from '../../../kube/resources.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import { namespaceIndex } from '../../../runtime/cache/store.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { done, requeueAfter } from '../../../runtime/controller/result.ts';
import { noEvents, type EventRecorder } from '../../../runtime/events.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import type { Isolation } from '../../../apis/kubebind/types.gen.ts';
import { apiServiceNamespaceAnnotation } from '../../../apis/kubebind/wire.ts';
import { checkTarget, serviceNamespaceName, servingKey } from '../service-namespaces.ts';
import { checkQuota, maxServiceNamespaces } from './decide.ts';
import { perCluster } from '../per-cluster.ts';

/** The per-consumer bound of service namespaces (tests lower both). */
export interface QuotaOptions {
  /** Service namespaces one consumer may have. */
  perConsumer?: number;
  /** When a refused APIServiceNamespace looks again for room (another may have gone). */
  recheckMs?: number;
}

export const serviceNamespaceControllerName = 'kube-bind-backend-servicenamespace';
export { apiServiceNamespaceAnnotation, serviceNamespaceName };
const byServingIndex = 'namespacesByAPIServiceNamespace';

interface Informers {
  serviceNamespaces: Informer<kb.APIServiceNamespace>;
  namespaces: Informer<Namespace>;
}

export function serviceNamespaceController(
  isolation: Isolation,
  events: EventRecorder = noEvents,
  quota: QuotaOptions = {},
): ControllerSpec {
  const perConsumer = quota.perConsumer ?? maxServiceNamespaces;
  const recheckMs = quota.recheckMs ?? 60_000;
  const informersOf = perCluster((cluster): Informers => {
    const namespaces = cluster.informers.informerFor(Namespaces);
    namespaces.addIndexer(byServingIndex, (ns) => {
      const serving = ns.metadata?.annotations?.[apiServiceNamespaceAnnotation];
      return serving ? [serving] : [];
    });
    return {
      serviceNamespaces: cluster.informers.informerFor(kb.APIServiceNamespaces),
      namespaces,
    };
  });
  return {
    name: serviceNamespaceControllerName,
    watches: (cluster) => {
      const { serviceNamespaces, namespaces } = informersOf(cluster);
      return [
        watch(serviceNamespaces, { map: forObject() }),
        // A deleted or changed provider namespace wakes the APIServiceNamespace it serves.
        watch(namespaces, {
          map: (ns) => {
            const serving = ns.metadata?.annotations?.[apiServiceNamespaceAnnotation];
            const [namespace, name] = serving?.split('/') ?? [];
            return namespace && name ? [{ namespace, name }] : [];
          },
        }),
      ];
    },
    reconcile: async (req, { cluster, signal }) => {
      const { serviceNamespaces, namespaces } = informersOf(cluster);
      const serving = servingKey(req.namespace, req.name);
      const nsClient = new ResourceClient(cluster.client, Namespaces);
      const asn = serviceNamespaces.lister.get(namespacedKey(req.namespace, req.name));
      if (!asn) {
        for (const ns of namespaces.lister.byIndex(byServingIndex, serving)) {
          await ignoreNotFound(nsClient.delete(ns.metadata?.name ?? '', { signal }));
        }
        return done;
      }
      const target =
        asn.status?.namespace || serviceNamespaceName(req.namespace, req.name, isolation);
      const room = asn.status?.namespace
        ? { ok: true as const }
        : checkQuota(serving, servedCount(serviceNamespaces, req.namespace), perConsumer);
      if (!room.ok) await events.event(asn, 'Warning', room.reason, room.message);
      const ok =
        room.ok &&
        (await ensureNamespace(nsClient, namespaces, asn, target, serving, signal, events));
      const recorded = ok ? target : undefined;
      if ((asn.status?.namespace || undefined) !== recorded) {
        // Guarded: a decision from a stale cache must not overwrite a name recorded meanwhile.
        // A refused name is removed (null), so no konnector keeps syncing into it.
        await patchStatusGuarded(
          new ResourceClient(cluster.client, kb.APIServiceNamespaces, req.namespace),
          asn,
          { namespace: recorded ?? null },
          signal,
        );
      }
      return room.ok ? done : requeueAfter(recheckMs);
    },
  };
}

/** How many APIServiceNamespaces of a consumer have a service namespace recorded. */
function servedCount(serviceNamespaces: Informer<kb.APIServiceNamespace>, contract: string) {
  return serviceNamespaces.lister
    .byIndex(namespaceIndex, contract)
    .filter((asn) => !!asn.status?.namespace).length;
}

/**
 * Creates the service namespace, or finds the one created for this APIServiceNamespace; false
 * (with a Warning event) when `target` may not serve it.
 */
async function ensureNamespace(
  nsClient: ResourceClient<Namespace>,
  namespaces: Informer<Namespace>,
  asn: kb.APIServiceNamespace,
  target: string,
  serving: string,
  signal: AbortSignal,
  events: EventRecorder,
): Promise<boolean> {
  let existing = namespaces.lister.get(target);
  let verdict = checkTarget(target, serving, existing);
  if (verdict.ok && !existing) {
    const created = await ignoreAlreadyExists(
      nsClient.create(
        { metadata: { name: target, annotations: { [apiServiceNamespaceAnnotation]: serving } } },
        { signal },
      ),
    );
    if (created) {
      await events.event(asn, 'Normal', 'NamespaceCreated', `created namespace ${target}`);
      return true;
    }
    // Our cache lags, or someone was faster: judge the namespace that is there.
    existing = await ignoreNotFound(nsClient.get(target, signal));
    verdict = checkTarget(target, serving, existing);
  }
  if (verdict.ok) return true;
  await events.event(asn, 'Warning', verdict.reason, verdict.message);
  return false;
}
