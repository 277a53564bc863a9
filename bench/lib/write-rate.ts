import { KubeClient } from '../../src/kube/client.ts';
import type { ClusterConnection } from '../../src/kube/config.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ConfigMaps, Namespaces } from '../../src/kube/resources.ts';
import { forEachBounded } from './concurrency.ts';

/**
 * The apiserver's own write rate, creates per second: the cheapest writes there are (empty
 * ConfigMaps, no admission or validation beyond the basics) with `concurrency` in flight, after a
 * warm-up of a tenth as many. The namespace they were made in is deleted afterwards (not waited
 * for: without a controller manager it stays Terminating and costs nothing).
 */
export async function apiserverWriteRate(
  connection: ClusterConnection,
  { creates, concurrency }: { creates: number; concurrency: number },
): Promise<number> {
  const client = new KubeClient(connection, { userAgent: 'bench-write-rate' });
  const namespace = `write-rate-${Date.now()}`;
  try {
    const namespaces = new ResourceClient(client, Namespaces);
    await namespaces.create({ metadata: { name: namespace } });
    const configMaps = new ResourceClient(client, ConfigMaps, namespace);
    const create = async (name: string) => {
      await configMaps.create({ metadata: { name } });
    };
    await forEachBounded(Math.ceil(creates / 10), concurrency, (i) => create(`warm-${i}`));
    const started = performance.now();
    await forEachBounded(creates, concurrency, (i) => create(`c-${i}`));
    const rate = creates / ((performance.now() - started) / 1000);
    await namespaces.delete(namespace);
    return rate;
  } finally {
    await client.close();
  }
}
