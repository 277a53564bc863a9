// The servicenamespace controller (spec controllers.md §5.6): every APIServiceNamespace (one
// consumer namespace) gets a provider namespace, named once and then sticky in its status:
// `<contract-ns>-<consumer-ns>` with isolation Prefixed or Namespaced, the consumer's own name
// with None. The namespace is annotated with the APIServiceNamespace it serves; when that is
// deleted, the namespaces annotated for it are deleted too (upstream guesses the name, and misses
// the None case).
import type { Namespace } from 'kubernetes-types/core/v1.js';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { PatchType } from '../../../kube/client.ts';
import { ignoreAlreadyExists, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Namespaces } from '../../../kube/resources.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { noEvents, type EventRecorder } from '../../../runtime/events.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import type { Isolation } from '../serviceexportrequest/decide.ts';
import { perCluster } from '../per-cluster.ts';

export const serviceNamespaceControllerName = 'kube-bind-backend-servicenamespace';
export const apiServiceNamespaceAnnotation = 'kube-bind.io/api-service-namespace';
const byServingIndex = 'namespacesByAPIServiceNamespace';

/** The provider namespace for a consumer namespace, before one is recorded in status. */
export function serviceNamespaceName(
  contractNs: string,
  consumerNs: string,
  isolation: Isolation,
): string {
  return isolation === 'None' ? consumerNs : `${contractNs}-${consumerNs}`;
}

interface Informers {
  serviceNamespaces: Informer<kb.APIServiceNamespace>;
  namespaces: Informer<Namespace>;
}

export function serviceNamespaceController(
  isolation: Isolation,
  events: EventRecorder = noEvents,
): ControllerSpec {
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
      const serving = `${req.namespace}/${req.name}`;
      const nsClient = new ResourceClient(cluster.client, Namespaces);
      const asn = serviceNamespaces.lister.get(namespacedKey(req.namespace, req.name));
      if (!asn) {
        for (const ns of namespaces.lister.byIndex(byServingIndex, serving)) {
          await ignoreNotFound(nsClient.delete(ns.metadata?.name ?? '', { signal }));
        }
        return;
      }
      const target =
        asn.status?.namespace || serviceNamespaceName(req.namespace, req.name, isolation);
      if (!namespaces.lister.get(target)) {
        const created = await ignoreAlreadyExists(
          nsClient.create(
            {
              metadata: { name: target, annotations: { [apiServiceNamespaceAnnotation]: serving } },
            },
            { signal },
          ),
        );
        if (created) {
          await events.event(asn, 'Normal', 'NamespaceCreated', `created namespace ${target}`);
        }
      }
      if (asn.status?.namespace !== target) {
        await new ResourceClient(cluster.client, kb.APIServiceNamespaces, req.namespace).patch(
          req.name,
          PatchType.merge,
          // Guarded: a decision from a stale cache must not overwrite a name recorded meanwhile.
          {
            metadata: { resourceVersion: asn.metadata?.resourceVersion },
            status: { namespace: target },
          },
          { subresource: 'status', signal },
        );
      }
    },
  };
}
