// The serviceexport controller (docs/controllers.md §5.3): keeps an export's source-spec hash
// annotation current and says in `ProviderInSync` whether its BoundSchemas are all there. Woken by
// the export and by any BoundSchema it names.
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { PatchType } from '../../../kube/client.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter } from '../../../runtime/controller/result.ts';
import { patchConditions } from '../conditions-patch.ts';
import { hasResources } from '../well-formed.ts';
import { sourceSpecHashAnnotation } from '../../../apis/kubebind/wire.ts';
import { boundSchemaNames, decideExport, exportConditions } from './decide.ts';
import { perCluster } from '../per-cluster.ts';

export const serviceExportControllerName = 'kube-bind-backend-serviceexport';

/** Exports by `<namespace>/<BoundSchema name>` of each resource they name. */
export const exportsByBoundSchemaIndex = 'serviceExportByBoundSchema';

interface Informers {
  exports: Informer<kb.APIServiceExport>;
  schemas: Informer<kb.BoundSchema>;
}

export function serviceExportController(clock: Clock): ControllerSpec {
  const informersOf = perCluster((cluster): Informers => {
    const exports = cluster.informers.informerFor(kb.APIServiceExports);
    exports.addIndexer(exportsByBoundSchemaIndex, (exp) =>
      hasResources(exp)
        ? boundSchemaNames(exp).map((name) => namespacedKey(exp.metadata?.namespace, name))
        : [],
    );
    return { exports, schemas: cluster.informers.informerFor(kb.BoundSchemas) };
  });
  return {
    name: serviceExportControllerName,
    watches: (cluster) => {
      const { exports, schemas } = informersOf(cluster);
      return [
        watch(exports, { map: forObject() }),
        watch(schemas, {
          map: (schema) =>
            exports.lister
              .byIndex(
                exportsByBoundSchemaIndex,
                namespacedKey(schema.metadata?.namespace, schema.metadata?.name ?? ''),
              )
              .map((exp) => ({
                namespace: exp.metadata?.namespace,
                name: exp.metadata?.name ?? '',
              })),
        }),
      ];
    },
    reconcile: async (req, { cluster, signal }) => {
      const { exports, schemas } = informersOf(cluster);
      const exp = exports.lister.get(namespacedKey(req.namespace, req.name));
      if (!exp || !hasResources(exp)) return undefined;
      const decision = decideExport(
        exp,
        (name) => schemas.lister.get(namespacedKey(req.namespace, name)),
        clock.now(),
      );
      if (decision.kind === 'await-schemas') return requeueAfter(decision.afterMs);
      const resource = new ResourceClient(cluster.client, kb.APIServiceExports, req.namespace);
      if (decision.kind === 'set-hash') {
        // The annotation change brings the export back through the watch for the next step.
        await resource.patch(
          req.name,
          PatchType.merge,
          { metadata: { annotations: { [sourceSpecHashAnnotation]: decision.hash } } },
          { signal },
        );
        return undefined;
      }
      const current = exp.status?.conditions ?? [];
      const next = exportConditions(exp, decision, clock.now());
      await patchConditions(resource, exp, current, next, signal);
      return undefined;
    },
  };
}
