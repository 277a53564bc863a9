// Drop-in take-over: a provider cluster that upstream v0.8.1 provisioned (reproduced from the
// spec in test/fixtures/upstream-provider.ts) keeps working when our backend replaces it. The
// consumer's next bind finds its namespace; nothing upstream wrote is rewritten (namespace,
// ClusterBinding, RBAC, export, BoundSchema, service namespace), the hashes match ours, and the
// konnector's status fields stay.
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import { getCondition } from '../../src/apis/kubebind/conditions.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { backendControllers, provisionerFor } from '../../src/backend/app/app.ts';
import { clusterControllerName } from '../../src/backend/controllers/cluster/controller.ts';
import { defaultOptions } from '../../src/backend/options/options.ts';
import { ownersAnnotation } from '../../src/apis/kubebind/wire.ts';
import type { BackendError } from '../../src/backend/errors.ts';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  CustomResourceDefinitions,
  Namespaces,
  RoleBindings,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import type { Cluster } from '../../src/runtime/cluster.ts';
import { upstreamConsumer } from '../fixtures/upstream-provider.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../harness/context.ts';
import { runControllers } from '../harness/controllers.ts';
import { deleteNamespacesAfterTest } from '../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

/** A namespace's labels and annotations, but for our owners record. */
function withoutOwners(metadata: ObjectMeta | undefined) {
  const annotations = Object.entries(metadata?.annotations ?? {}).filter(
    ([key]) => key !== ownersAnnotation,
  );
  return { labels: metadata?.labels, annotations: Object.fromEntries(annotations) };
}

describe('taking over a provider cluster upstream provisioned', () => {
  it('reuses every object without rewriting it', async () => {
    const admin = await kubeAdmin();
    await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
    const cowboys = await new ResourceClient(admin, CustomResourceDefinitions).get(
      'cowboys.wildwest.dev',
    );
    const prefix = `u${uniqueSuffix()}-`;
    const identity = `consumer-${uniqueSuffix()}`;
    const namespaces = new ResourceClient(admin, Namespaces);
    deleteNamespacesAfterTest(admin, prefix);
    const upstream = await upstreamConsumer(admin, prefix, identity, cowboys);
    const { contract } = upstream;

    const snapshot = async () => ({
      // Everything upstream wrote; our first bind only adds the owners record (issue 16, item 4).
      namespace: withoutOwners((await namespaces.get(contract)).metadata),
      binding: (await new ResourceClient(admin, kb.ClusterBindings, contract).get('cluster'))
        .metadata?.generation,
      sa: (await new ResourceClient(admin, ServiceAccounts, contract).get('kube-binder')).metadata
        ?.resourceVersion,
      rb: (await new ResourceClient(admin, RoleBindings, contract).get('kube-binder')).metadata
        ?.resourceVersion,
      export: await new ResourceClient(admin, kb.APIServiceExports, contract).get('cowboys'),
      schema: await new ResourceClient(admin, kb.BoundSchemas, contract).get(
        'cowboys.wildwest.dev',
      ),
      service: (await namespaces.get(upstream.service)).metadata?.resourceVersion,
    });
    const before = await snapshot();

    // Our backend starts: controllers, and the consumer binds again.
    const options = { ...defaultOptions(), namespacePrefix: prefix };
    const deps = { log: testLogger(), clock: realClock };
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const target = { server: conn.server, caPem: conn.caPem ?? '' };
    runControllers(
      admin,
      backendControllers(options, deps, target).filter((s) => s.name !== clusterControllerName),
      [contract],
    );
    const informers = new SharedInformerFactory({
      client: admin,
      clock: realClock,
      log: testLogger(),
    });
    informers.start();
    onTestFinished(() => informers.stop());
    await informers.informerFor(Namespaces).waitForSync();
    const cluster: Cluster = { name: 'provider', client: admin, informers };
    const provision = provisionerFor(options, deps, target);
    // Upstream recorded alice's subject as the author; someone else is refused, alice adopts it.
    const bob = { issuer: 'https://issuer.example', subject: 'bob' };
    const refused = await provision(
      cluster,
      { identity, author: 'bob', owner: bob },
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect((refused as BackendError).code).toBe('Forbidden');
    const alice = { issuer: 'https://issuer.example', subject: 'alice' };
    const again = await provision(
      cluster,
      { identity, author: 'alice', owner: alice },
      new AbortController().signal,
    );
    expect(again.namespace).toBe(contract);
    expect((await namespaces.get(contract)).metadata?.annotations?.[ownersAnnotation]).toBe(
      JSON.stringify([alice]),
    );

    // The export is in sync with upstream's hash: ProviderInSync True and no annotation rewrite.
    await eventually('ProviderInSync=True', async () => {
      const exp = await new ResourceClient(admin, kb.APIServiceExports, contract).get('cowboys');
      return getCondition(exp.status?.conditions ?? [], 'ProviderInSync')?.status === 'True'
        ? true
        : undefined;
    });
    const after = await snapshot();
    expect(after.namespace).toEqual(before.namespace);
    expect(after.binding).toBe(before.binding);
    expect(after.sa).toBe(before.sa);
    expect(after.rb).toBe(before.rb);
    expect(after.service).toBe(before.service);
    expect(after.export.metadata?.annotations).toEqual(before.export.metadata?.annotations);
    expect(after.export.metadata?.generation).toBe(before.export.metadata?.generation);
    expect(after.export.metadata?.annotations?.['kube-bind.io/source-spec-hash']).toBe(
      upstream.hash,
    );
    expect(after.schema.metadata?.resourceVersion).toBe(before.schema.metadata?.resourceVersion);
    const asn = await new ResourceClient(admin, kb.APIServiceNamespaces, contract).get('wild');
    expect(asn.status?.namespace).toBe(upstream.service);
    const binding = await new ResourceClient(admin, kb.ClusterBindings, contract).get('cluster');
    expect(binding.status).toMatchObject({ konnectorVersion: 'v0.8.1', heartbeatInterval: '5m0s' });
    expect(getCondition(binding.status?.conditions ?? [], 'SecretValid')?.status).toBe('True');
  });
});
