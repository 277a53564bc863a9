// The consumer provisioned and bound as `kubectl bind` does it, without a browser.
import { randomUUID } from 'node:crypto';
import { Cowboys } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { isEstablished } from '../../src/kube/crds.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { CustomResourceDefinitions, Namespaces, Secrets } from '../../src/kube/resources.ts';
import { until } from '../lib/wait.ts';
import type { Side } from './cluster.ts';
import { claimLabel, consumerNamespace, exportName } from './config.ts';

export const condition = (
  obj: { status?: { conditions?: { type: string; status: string }[] } },
  type: string,
): string | undefined => obj.status?.conditions?.find((c) => c.type === type)?.status;

/**
 * A contract namespace and the kubeconfig for it from a BindableResourcesRequest: how a backend
 * without front door provisions a consumer (the response Secret holds a BindingResourceResponse).
 */
export async function provisionConsumer(
  provider: Side,
): Promise<{ namespace: string; kubeconfig: string }> {
  const requests = new ResourceClient(provider.admin, kb.BindableResourcesRequests, 'default');
  await requests.create({
    metadata: { name: 'bench' },
    spec: {
      clusterIdentity: { identity: randomUUID(), prettyName: 'bench-consumer' },
      author: 'bench',
    },
  });
  const done = await until('the BindableResourcesRequest to succeed', async () => {
    const r = await requests.get('bench');
    if (r.status?.phase === 'Failed') throw new Error(`provisioning failed: ${JSON.stringify(r)}`);
    return r.status?.phase === 'Succeeded' ? r : undefined;
  });
  const secret = await new ResourceClient(provider.admin, Secrets, 'default').get(
    'bench-binding-response',
  );
  const response = JSON.parse(
    Buffer.from(secret.data?.['binding-response'] ?? '', 'base64').toString('utf8'),
  ) as { kubeconfig: string };
  return {
    namespace: done.status?.namespace ?? '',
    kubeconfig: Buffer.from(response.kubeconfig, 'base64').toString('utf8'),
  };
}

/** The export's claim: Secrets labelled `claimLabel=true` or named by a cowboy's secretRefs. */
export const permissionClaims: readonly kb.PermissionClaim[] = [
  {
    group: '',
    resource: 'secrets',
    selector: {
      labelSelector: { matchLabels: { [claimLabel]: 'true' } },
      references: [
        {
          group: 'wildwest.dev',
          resource: 'cowboys',
          versions: ['v1alpha1'],
          jsonPath: { name: 'spec.secretRefs.#.name' },
        },
      ],
    },
  },
];

/** The provider's offer of cowboys with that claim (a request may claim only what one offers). */
export async function offerCowboys(provider: Side): Promise<void> {
  await new ResourceClient(provider.admin, kb.APIServiceExportTemplates).create({
    metadata: { name: exportName },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [...permissionClaims],
    },
  });
}

/** Requests the cowboys export with the consumer's own provider kubeconfig, as kubectl bind does. */
export async function exportCowboys(kubeconfig: string, namespace: string): Promise<void> {
  const binder = new KubeClient(await connectionFromKubeconfig({ text: kubeconfig }), {
    userAgent: 'bench-binder',
  });
  try {
    const requests = new ResourceClient(binder, kb.APIServiceExportRequests, namespace);
    await requests.create({
      metadata: { name: exportName },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [...permissionClaims],
      },
    });
    await until('the APIServiceExportRequest to succeed', async () => {
      const r = await requests.get(exportName);
      if (r.status?.phase === 'Failed')
        throw new Error(`export failed: ${r.status.terminalMessage}`);
      return r.status?.phase === 'Succeeded' || undefined;
    });
  } finally {
    await binder.close();
  }
}

/** The provider kubeconfig Secret and the APIServiceBinding on the consumer. */
export async function bindOnConsumer(consumer: Side, kubeconfig: string): Promise<void> {
  await new ResourceClient(consumer.admin, Namespaces).create({ metadata: { name: 'kube-bind' } });
  await new ResourceClient(consumer.admin, Secrets, 'kube-bind').create({
    metadata: { name: 'kubeconfig-bench', labels: { 'kube-bind.io/provider-kubeconfig': 'true' } },
    type: 'Opaque',
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  await new ResourceClient(consumer.admin, kb.APIServiceBindings).create({
    metadata: { name: exportName },
    spec: {
      kubeconfigSecretRef: { namespace: 'kube-bind', name: 'kubeconfig-bench', key: 'kubeconfig' },
    },
  });
}

export async function waitUntilBound(consumer: Side): Promise<void> {
  const bindings = new ResourceClient(consumer.admin, kb.APIServiceBindings);
  await until('the APIServiceBinding to be Ready', async () =>
    condition(await bindings.get(exportName), 'Ready') === 'True' ? true : undefined,
  );
  const crds = new ResourceClient(consumer.admin, CustomResourceDefinitions);
  await until('the cowboys CRD to be Established on the consumer', async () => {
    const crd = await ignoreNotFound(crds.get('cowboys.wildwest.dev'));
    return crd && isEstablished(crd) ? true : undefined;
  });
}

/**
 * One cowboy synced before measuring: it makes the backend create the provider namespace and the
 * konnector start its informer there, which is set-up, not per-object work. Returns the provider
 * namespace.
 */
export async function warmUp(
  provider: Side,
  consumer: Side,
  contractNamespace: string,
): Promise<string> {
  await new ResourceClient(consumer.admin, Namespaces).create({
    metadata: { name: consumerNamespace },
  });
  await new ResourceClient(consumer.admin, Cowboys, consumerNamespace).create({
    metadata: { name: 'warm-up' },
    spec: { intent: 'warm up' },
  });
  const serviceNamespaces = new ResourceClient(
    provider.admin,
    kb.APIServiceNamespaces,
    contractNamespace,
  );
  const providerNamespace = await until('the provider namespace', async () => {
    const sn = await ignoreNotFound(serviceNamespaces.get(consumerNamespace));
    return sn?.status?.namespace || undefined;
  });
  const copies = new ResourceClient(provider.admin, Cowboys, providerNamespace);
  await until('the warm-up cowboy on the provider', () => ignoreNotFound(copies.get('warm-up')));
  return providerNamespace;
}
