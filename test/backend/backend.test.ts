// The backend's controllers together on the real kube-apiserver + kube-controller-manager, driven
// the way a consumer drives them: provisioned, it creates an export request with its issued
// kubeconfig; the backend answers with BoundSchemas, the export, a service namespace and RBAC, so
// the consumer's konnector can work with the bound resource and the claimed secrets there.
// Deleting the export then removes what the backend created for it on the provider.
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cowboys, wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { backendControllers, provisionerFor } from '../../src/backend/app/app.ts';
import { clusterControllerName } from '../../src/backend/controllers/cluster/controller.ts';
import { defaultOptions } from '../../src/backend/options/options.ts';

import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ForbiddenError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Namespaces, Secrets } from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { Cluster } from '../../src/runtime/cluster.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../harness/context.ts';
import { runControllers } from '../harness/controllers.ts';
import { clientFromKubeconfig, deleteNamespacesAfterTest } from '../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('the backend controllers together', () => {
  it('serve a consumer end to end on the provider, and clean up after its export', async () => {
    const admin = await kubeAdmin();
    await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const prefix = `e${uniqueSuffix()}-`;
    const options = { ...defaultOptions(), namespacePrefix: prefix };
    const deps = { log: testLogger(), clock: realClock };
    const target = { server: conn.server, caPem: conn.caPem ?? '' };

    // Provision the consumer as the HTTP layer will.
    const namespaces = new ResourceClient(admin, Namespaces);
    deleteNamespacesAfterTest(admin, prefix);
    const provision = provisionerFor(options, deps, target);
    const informers = new SharedInformerFactory({
      client: admin,
      clock: realClock,
      log: testLogger(),
    });
    const engaged: Cluster = { name: 'provider', client: admin, informers };
    informers.start();
    onTestFinished(() => informers.stop());
    const { namespace: contract, kubeconfig } = await provision(
      engaged,
      {
        identity: `consumer-${uniqueSuffix()}`,
        author: 'alice',
        owner: { issuer: 'https://issuer.example', subject: 'alice' },
      },
      new AbortController().signal,
    );
    const consumer = await clientFromKubeconfig(kubeconfig);

    const controllers = backendControllers(options, deps, target).filter(
      (spec) => spec.name !== clusterControllerName,
    );
    runControllers(admin, controllers, [contract]);

    // The provider offers the binding, with its claim (a request may claim only what a template
    // offers: issue 16, item 2).
    const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
    const template = `${prefix}cowboys`;
    await templates.create({
      metadata: { name: template },
      spec: {
        scope: 'Namespaced',
        resources: [{ group: 'wildwest.dev', resource: 'cowboys' }],
        permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
      },
    });
    onTestFinished(async () => {
      await templates.delete(template).catch(() => undefined);
    });

    // The consumer asks, with its own credentials.
    const requests = new ResourceClient(consumer, kb.APIServiceExportRequests, contract);
    await requests.create({
      metadata: { name: 'cowboys' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys' }],
        permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
        namespaces: [{ name: 'wild' }],
      },
    });
    const phase = await eventually('the request to finish', async () => {
      const r = await requests.get('cowboys');
      return r.status?.phase === 'Pending' ? undefined : r.status?.phase;
    });
    expect(phase).toBe('Succeeded');

    // What its konnector reads: the export, the BoundSchema, the service namespace.
    await new ResourceClient(consumer, kb.APIServiceExports, contract).get('cowboys');
    await new ResourceClient(consumer, kb.BoundSchemas, contract).get('cowboys.wildwest.dev');
    const service = `${contract}-wild`;
    const recorded = await eventually('the service namespace', async () => {
      const asn = await new ResourceClient(consumer, kb.APIServiceNamespaces, contract).get('wild');
      return asn.status?.namespace;
    });
    expect(recorded).toBe(service);
    await eventually('the konnector to reach cowboys and secrets there', async () => {
      await new ResourceClient(consumer, Cowboys, service).list();
      await new ResourceClient(consumer, Secrets, service).list();
      return true;
    });

    // The export goes: BoundSchemas and APIServiceNamespaces by garbage collection, then the
    // service namespace and the consumer's access to it.
    await new ResourceClient(admin, kb.APIServiceExports, contract).delete('cowboys');
    await eventually(
      'everything made for the export to go',
      async () => {
        const schemas = await new ResourceClient(admin, kb.BoundSchemas, contract).list();
        const asns = await new ResourceClient(admin, kb.APIServiceNamespaces, contract).list();
        const ns = await namespaces.get(service).catch(() => undefined);
        const gone = schemas.items.length === 0 && asns.items.length === 0;
        return gone && (!ns || ns.metadata?.deletionTimestamp) ? true : undefined;
      },
      // kube-controller-manager's garbage collector finds new resource types by polling
      // discovery (every 30 s) and is slower on a loaded machine.
      { timeoutMs: 150_000 },
    );
    await expect(new ResourceClient(consumer, Cowboys, contract).list()).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  }, 240_000);
});
