import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { boundSchemaSpecFromCRD } from '../../src/apis/kubebind/schema-mapping.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import {
  exportAnnotation,
  exportsReadyCondition,
  managedByLabel,
  permissionClaimCondition,
  providerInSyncCondition,
  ReadyCondition,
  sourceSpecHashAnnotation,
} from '../../src/apis/kubebind/wire.ts';
import { managedValue } from '../../src/backend/controllers/serviceexportrbac/decide.ts';
import { PatchType, KubeClient } from '../../src/kube/client.ts';
import type { ClusterConnection } from '../../src/kube/config.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../../src/kube/resource.ts';
import { ConfigMaps, Events, Namespaces, RoleBindings, Roles } from '../../src/kube/resources.ts';
import { forEachBounded } from './concurrency.ts';

interface Probe {
  creates: number;
  concurrency: number;
  /** CPU seconds the API server's processes (kube-apiserver and etcd) have used so far. */
  serverCpu: () => number;
}

/** How fast the apiserver serves one kind of write alone, and what each costs it. */
export interface WriteCost {
  /** Writes per second. */
  rate: number;
  /** CPU of kube-apiserver and etcd per write, ms: the machine's cores bound how many it can serve. */
  cpuMs: number;
}

/** Runs `op(0..n-1)` `concurrency` at a time after a warm-up of a tenth as many. */
async function rateOf(
  { creates, concurrency, serverCpu }: Probe,
  op: (i: number, phase: 'warm' | 'timed') => Promise<unknown>,
): Promise<WriteCost> {
  await forEachBounded(Math.ceil(creates / 10), concurrency, async (i) => {
    await op(i, 'warm');
  });
  const started = performance.now();
  const cpuBefore = serverCpu();
  await forEachBounded(creates, concurrency, async (i) => {
    await op(i, 'timed');
  });
  return {
    rate: creates / ((performance.now() - started) / 1000),
    cpuMs: ((serverCpu() - cpuBefore) / creates) * 1000,
  };
}

/**
 * A namespace of its own for `use`, deleted afterwards (not waited for: without a controller
 * manager it stays Terminating and costs nothing). Objects of the `removed` types are deleted
 * first: the backend started afterwards watches those in every namespace and would work on them.
 */
async function inScratchNamespace<T>(
  connection: ClusterConnection,
  userAgent: string,
  use: (client: KubeClient, namespace: string) => Promise<T>,
  removed: readonly ResourceType[] = [],
): Promise<T> {
  const client = new KubeClient(connection, { userAgent });
  const namespace = `${userAgent}-${Date.now()}`;
  const namespaces = new ResourceClient(client, Namespaces);
  try {
    await namespaces.create({ metadata: { name: namespace } });
    const result = await use(client, namespace);
    for (const type of removed) {
      await client.request('DELETE', new ResourceClient(client, type, namespace).collectionPath());
    }
    await namespaces.delete(namespace);
    return result;
  } finally {
    await client.close();
  }
}

/**
 * The apiserver's own write rate, creates per second: the cheapest writes there are (empty
 * ConfigMaps, no admission or validation beyond the basics) with `concurrency` in flight, after a
 * warm-up of a tenth as many.
 */
export function apiserverWriteRate(
  connection: ClusterConnection,
  probe: Probe,
): Promise<WriteCost> {
  return inScratchNamespace(connection, 'bench-write-rate', (client, namespace) => {
    const configMaps = new ResourceClient(client, ConfigMaps, namespace);
    return rateOf(probe, (i, phase) => configMaps.create({ metadata: { name: `${phase}-${i}` } }));
  });
}

/**
 * The apiserver's rate for each kind of write the backend's job makes (and the consumers' request
 * creates), measured alone, each with `concurrency` in flight, keyed `VERB resource` as the
 * benchmark counts them. Objects look like the backend's: an export of one resource, a BoundSchema
 * of `crd`, a Role and RoleBinding of one rule and subject, a status of conditions, an Event.
 * Status writes go to objects created beforehand, untimed.
 */
export function apiserverRatesByKind(
  connection: ClusterConnection,
  probe: Probe,
  crd: CustomResourceDefinition,
): Promise<Map<string, WriteCost>> {
  return inScratchNamespace(
    connection,
    'bench-write-kinds',
    async (client, namespace) => {
      const rates = new Map<string, WriteCost>();
      const resource = { group: crd.spec.group, resource: crd.spec.names.plural };
      const requests = new ResourceClient(client, kb.APIServiceExportRequests, namespace);
      const exports = new ResourceClient(client, kb.APIServiceExports, namespace);
      const creates = async <T extends KubeObject>(
        type: ResourceType<T>,
        body: (name: string) => T,
      ): Promise<WriteCost> => {
        const objects = new ResourceClient(client, type, namespace);
        return rateOf(probe, (i, phase) => objects.create(body(`${phase}-${i}`)));
      };
      const statusWrites = async <T extends KubeObject>(
        objects: ResourceClient<T>,
        body: (name: string) => T,
        status: Record<string, unknown>,
      ): Promise<WriteCost> => {
        // One object per write, warm-up included: rateOf's warm-up and timed calls take turns.
        const made: T[] = [];
        await forEachBounded(Math.ceil(probe.creates * 1.1), probe.concurrency, async (i) => {
          made[i] = await objects.create(body(`s-${i}`));
        });
        let next = 0;
        return rateOf(probe, () => {
          const obj = made[next++];
          return objects.patch(
            obj?.metadata?.name ?? '',
            PatchType.merge,
            { metadata: { resourceVersion: obj?.metadata?.resourceVersion }, status },
            { subresource: 'status' },
          );
        });
      };
      const request = (name: string): kb.APIServiceExportRequest => ({
        metadata: { name },
        spec: { resources: [resource] },
      });
      const exportOf = (name: string): kb.APIServiceExport => ({
        metadata: { name, annotations: { [sourceSpecHashAnnotation]: '0'.repeat(64) } },
        spec: {
          resources: [{ ...resource, versions: ['v1alpha1'] }],
          informerScope: 'Namespaced',
          isolation: 'Prefixed',
        },
      });
      const condition = (type: string) => ({
        type,
        status: 'True',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      });
      const labels = { [managedByLabel]: managedValue };
      const annotations = { [exportAnnotation]: `${namespace}/r0` };

      rates.set(
        'POST apiserviceexportrequests',
        await creates(kb.APIServiceExportRequests, request),
      );
      rates.set('POST apiserviceexports', await creates(kb.APIServiceExports, exportOf));
      rates.set(
        'POST boundschemas',
        await creates(kb.BoundSchemas, (name) => ({
          metadata: { name },
          spec: boundSchemaSpecFromCRD(crd, 'Namespaced'),
        })),
      );
      rates.set(
        'POST roles',
        await creates(Roles, (name) => ({
          metadata: { name, labels, annotations },
          rules: [
            {
              apiGroups: [resource.group],
              resources: [resource.resource],
              verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
            },
          ],
        })),
      );
      rates.set(
        'POST rolebindings',
        await creates(RoleBindings, (name) => ({
          metadata: { name, labels, annotations },
          subjects: [{ kind: 'ServiceAccount', name: 'kube-binder', namespace }],
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        })),
      );
      rates.set(
        'POST events',
        await creates(Events, (name) => ({
          metadata: { name },
          involvedObject: {
            apiVersion: 'kube-bind.io/v1alpha2',
            kind: 'APIServiceExportRequest',
            namespace,
            name,
          },
          reason: 'ExportReady',
          message: `APIServiceExport ${name} is ready`,
          type: 'Normal',
          source: { component: 'kube-bind-backend' },
          count: 1,
        })),
      );
      rates.set(
        'PATCH apiserviceexportrequests/status',
        await statusWrites(requests, request, {
          phase: 'Succeeded',
          conditions: [ReadyCondition, exportsReadyCondition, permissionClaimCondition].map(
            condition,
          ),
        }),
      );
      rates.set(
        'PATCH apiserviceexports/status',
        await statusWrites(exports, exportOf, { conditions: [condition(providerInSyncCondition)] }),
      );
      return rates;
    },
    [kb.APIServiceExportRequests, kb.APIServiceExports, kb.BoundSchemas, Roles, RoleBindings],
  );
}
