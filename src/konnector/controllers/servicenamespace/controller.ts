// The konnector's servicenamespace controller (docs/controllers.md §1.4 APIServiceNamespace):
// an APIServiceNamespace the provider pre-seeded (`kube-bind.io/owner: provider`) gets its
// consumer namespace created; one the konnector asked for is deleted once its consumer namespace
// is gone, so the backend removes the provider namespace. Consumer namespaces are never deleted
// here: the konnector cannot know who else uses them.
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { Namespaces } from '../../../kube/resources.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { watch } from '../../../runtime/controller/handlers.ts';
import type { ProviderCluster } from '../../cluster.ts';
import { ownerLabel } from '../../../apis/kubebind/wire.ts';
import { namespaceAction } from './decide.ts';

export const serviceNamespaceControllerName = 'konnector-servicenamespace';

export function serviceNamespaceController(): ControllerSpec<ProviderCluster> {
  const informers = (cluster: ProviderCluster) => ({
    serviceNamespaces: cluster.providerInformers.informerFor(kb.APIServiceNamespaces, {
      namespace: cluster.contractNamespace,
    }),
    namespaces: cluster.consumer.informers.informerFor(Namespaces),
  });
  return {
    name: serviceNamespaceControllerName,
    watches: (cluster) => {
      const { serviceNamespaces, namespaces } = informers(cluster);
      return [
        watch(serviceNamespaces),
        watch(namespaces, {
          map: (ns) => [{ namespace: cluster.contractNamespace, name: ns.metadata?.name ?? '' }],
          // Only namespaces that have an APIServiceNamespace matter.
          filter: (ns) =>
            !!serviceNamespaces.lister.get(
              namespacedKey(cluster.contractNamespace, ns.metadata?.name ?? ''),
            ),
        }),
      ];
    },
    reconcile: async (req, { cluster, signal, log }) => {
      const { serviceNamespaces, namespaces } = informers(cluster);
      const sn = serviceNamespaces.lister.get(namespacedKey(req.namespace, req.name));
      if (!sn) return;
      switch (namespaceAction(sn, namespaces.lister.get(req.name))) {
        case 'create-consumer-namespace':
          try {
            await new ResourceClient(cluster.consumer.client, Namespaces).create(
              {
                apiVersion: 'v1',
                kind: 'Namespace',
                metadata: { name: req.name, labels: { [ownerLabel]: 'provider' } },
              },
              { signal },
            );
            log.info({ namespace: req.name }, 'created the namespace the provider pre-seeded');
          } catch (err) {
            if (!(err instanceof AlreadyExistsError)) throw err;
          }
          return;
        case 'delete-service-namespace':
          await ignoreNotFound(
            new ResourceClient(
              cluster.providerClient,
              kb.APIServiceNamespaces,
              req.namespace,
            ).delete(req.name, {
              ...(sn.metadata?.uid && { preconditions: { uid: sn.metadata.uid } }),
              signal,
            }),
          );
          log.info(
            { namespace: req.name },
            'consumer namespace gone; deleted its APIServiceNamespace',
          );
          return;
        case 'none':
          return;
      }
    },
  };
}
