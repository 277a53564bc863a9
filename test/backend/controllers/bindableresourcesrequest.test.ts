// The bindableresourcesrequest controller (backend without its front door) on the real
// kube-apiserver + controller manager: a request provisions the consumer and leaves the
// kubeconfig, as a BindingResourceResponse, in a secret it owns; an unknown template fails at
// once; a finished request goes after its TTL.
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { provisionerFor } from '../../../src/backend/app/app.ts';
import { bindableResourcesRequestController } from '../../../src/backend/controllers/bindableresourcesrequest/controller.ts';
import { defaultOptions } from '../../../src/backend/options/options.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Secrets } from '../../../src/kube/resources.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
  uniqueSuffix,
} from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

async function start() {
  const admin = await kubeAdmin();
  const ns = await testNamespace(admin, 'brr');
  const prefix = `b${uniqueSuffix()}-`;
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const options = { ...defaultOptions(), namespacePrefix: prefix, frontendDisabled: true };
  const provision = provisionerFor(
    options,
    { log: testLogger(), clock: realClock },
    {
      server: conn.server,
      caPem: conn.caPem ?? '',
    },
  );
  runControllers(admin, [bindableResourcesRequestController(provision, realClock)], [ns]);
  deleteNamespacesAfterTest(admin, prefix);
  return { admin, ns, requests: new ResourceClient(admin, kb.BindableResourcesRequests, ns) };
}

describe('bindableresourcesrequest controller', () => {
  it('provisions the consumer and writes the response secret', async () => {
    const { admin, ns, requests } = await start();
    const created = await requests.create({
      metadata: { name: 'alpha' },
      spec: {
        clusterIdentity: { identity: `id-${uniqueSuffix()}`, prettyName: 'Alpha' },
        author: 'alice',
      },
    });
    const done = await eventually('the request to finish', async () => {
      const r = await requests.get('alpha');
      return r.status?.phase === 'Pending' ? undefined : r;
    });
    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      kubeconfigSecretRef: { name: 'alpha-binding-response', key: 'binding-response' },
    });
    expect(done.status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'SecretReady',
    });
    const contract = done.status?.namespace ?? '';
    const binding = await new ResourceClient(admin, kb.ClusterBindings, contract).get('cluster');
    expect(binding.metadata?.annotations?.['backend.kube-bind.io/cluster-pretty-name']).toBe(
      'Alpha',
    );

    const secret = await new ResourceClient(admin, Secrets, ns).get('alpha-binding-response');
    expect(secret.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'BindableResourcesRequest',
        uid: created.metadata?.uid,
        controller: true,
      }),
    ]);
    const response = JSON.parse(
      Buffer.from(secret.data?.['binding-response'] ?? '', 'base64').toString(),
    ) as {
      kind: string;
      kubeconfig: string;
    };
    expect(response.kind).toBe('BindingResourceResponse');
    const kubeconfig = parse(Buffer.from(response.kubeconfig, 'base64').toString()) as {
      contexts: { context: { namespace: string } }[];
    };
    expect(kubeconfig.contexts[0]?.context.namespace).toBe(contract);
  });

  it('fails at once for an unknown template, and removes finished requests after their TTL', async () => {
    const { requests } = await start();
    await requests.create({
      metadata: { name: 'ghost' },
      spec: {
        templateRef: { name: `no-such-template-${uniqueSuffix()}` },
        clusterIdentity: { identity: 'x' },
        author: 'alice',
        ttlAfterFinished: '2s',
      },
    });
    const failed = await eventually('the request to fail', async () => {
      const r = await requests.get('ghost');
      return r.status?.phase === 'Failed' ? r : undefined;
    });
    expect(failed.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'TemplateNotFound',
    });
    expect(failed.status?.completionTime).toBeDefined();
    await eventually('the request to be removed after its TTL', async () =>
      (await requests.get('ghost').then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
  });
});
