// What the dev environment puts into its servers: the kube-bind.io API and the wildwest example
// APIs (exported CRDs, templates, collection) on the provider cluster, and the kube-bind.io
// APIExport in kcp (root:kube-bind). Every step is idempotent.
import { pino } from 'pino';
import {
  wildwestCollection,
  wildwestCRDs,
  wildwestTemplates,
} from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { ensureKubeBindAPI } from '../../src/backend/app/kube-bind-api.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { bootstrapKcp } from '../../src/providers/kcp/bootstrap.ts';
import type { SharedControlPlane } from '../../test/harness/control-plane.ts';

const fieldManager = 'kube-bind-ts-dev';
const log = pino({ level: 'warn' });

export async function seed(shared: SharedControlPlane): Promise<string[]> {
  const done: string[] = [];
  const provider = new KubeClient(
    await connectionFromKubeconfig({ file: shared.kube.kubeconfigPath }),
  );
  try {
    await ensureKubeBindAPI(provider, { install: true, log });
    await installCRDs(provider, wildwestCRDs(), { fieldManager });
    const templates = new ResourceClient(provider, kb.APIServiceExportTemplates);
    for (const template of wildwestTemplates()) {
      await templates.apply(template, { fieldManager, force: true });
    }
    await new ResourceClient(provider, kb.Collections).apply(wildwestCollection(), {
      fieldManager,
      force: true,
    });
    done.push(
      'provider: kube-bind.io CRDs, wildwest.dev CRDs (cowboys, sheriffs), templates, collection',
    );
  } finally {
    await provider.close();
  }
  if (shared.kcp) {
    const kcp = new KubeClient(await connectionFromKubeconfig({ file: shared.kcp.kubeconfigPath }));
    try {
      const path = await bootstrapKcp({ client: kcp.cluster('root'), log });
      done.push(`kcp: APIExport kube-bind.io in ${path}`);
    } finally {
      await kcp.close();
    }
  }
  return done;
}
