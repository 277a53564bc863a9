// The kube-bind.io CRDs on the shared cluster: installed once per test worker (installing is
// idempotent, so workers racing each other is harmless). Safe to call from beforeAll.
import { kubeBindCRDs } from '../../src/apis/kubebind/crds/index.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { controlPlane } from './context.ts';

let installed: Promise<void> | undefined;

export function ensureKubeBindCRDs(): Promise<void> {
  installed ??= (async () => {
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const admin = new KubeClient(conn, { userAgent: 'kube-bind-ts-tests' });
    try {
      await installCRDs(admin, kubeBindCRDs(), { fieldManager: 'kube-bind-ts-tests' });
    } finally {
      await admin.close();
    }
  })();
  return installed;
}
