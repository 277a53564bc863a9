// Helpers for tests that act as a consumer: a client from an issued kubeconfig, and clean-up of
// the contract namespaces a test's provisioner made (they share the test's prefix).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Namespaces } from '../../src/kube/resources.ts';

/** A client authenticated by `kubeconfig` (YAML text), closed when the test finishes. */
export async function clientFromKubeconfig(kubeconfig: string): Promise<KubeClient> {
  const file = join(mkdtempSync(join(tmpdir(), 'kbt-kc-')), 'kubeconfig');
  writeFileSync(file, kubeconfig);
  const client = new KubeClient(await connectionFromKubeconfig({ file }));
  onTestFinished(() => client.close());
  return client;
}

/** Deletes every namespace whose name starts with `prefix` when the test finishes. */
export function deleteNamespacesAfterTest(admin: KubeClient, prefix: string): void {
  onTestFinished(async () => {
    const namespaces = new ResourceClient(admin, Namespaces);
    for (const ns of (await namespaces.list()).items) {
      const name = ns.metadata?.name ?? '';
      if (name.startsWith(prefix)) await namespaces.delete(name).catch(() => undefined);
    }
  });
}
