// Every field the spec lists survives a create/get round trip on the real kube-apiserver, for
// every kind (spec and, through /status, status). A CRD that lacked a field would prune it
// silently, and upstream clients that set it would lose data.
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../../src/kube/resource.ts';
import * as full from '../fixtures/kube-bind-objects.ts';
import { kubeAdmin, testNamespace, uniqueSuffix } from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

interface Case {
  type: ResourceType;
  fixture: full.FullObject<KubeObject>;
}

const cases: Case[] = [
  { type: kb.APIServiceExportTemplates, fixture: full.fullTemplate },
  { type: kb.Collections, fixture: full.fullCollection },
  { type: kb.Clusters, fixture: full.fullCluster },
  { type: kb.ClusterBindings, fixture: full.fullClusterBinding },
  { type: kb.APIServiceExportRequests, fixture: full.fullExportRequest },
  { type: kb.APIServiceExports, fixture: full.fullExport },
  { type: kb.BoundSchemas, fixture: full.fullBoundSchema },
  { type: kb.APIServiceNamespaces, fixture: full.fullServiceNamespace },
  { type: kb.BindableResourcesRequests, fixture: full.fullBindableResourcesRequest },
  { type: kb.APIServiceBindings, fixture: full.fullBinding },
  { type: kb.APIServiceBindingBundles, fixture: full.fullBindingBundle },
  { type: kb.APIConversions, fixture: full.fullConversion },
];

beforeAll(ensureKubeBindCRDs);

describe('every field survives a round trip', () => {
  it('covers all 12 kinds', () => {
    expect(new Set(cases.map((c) => c.type.kind)).size).toBe(12);
  });

  it.each(cases.map((c) => [c.type.kind, c] as const))('%s', async (_kind, { type, fixture }) => {
    const client = await kubeAdmin();
    const ns = type.namespaced ? await testNamespace(client, 'roundtrip') : undefined;
    const resource = new ResourceClient(client, type, ns);
    // Cluster-scoped names are shared by parallel runs: make them unique (ClusterBinding must
    // stay `cluster`, and it is namespaced).
    const name = type.namespaced
      ? (fixture.object.metadata?.name ?? '')
      : `${fixture.object.metadata?.name ?? ''}-${uniqueSuffix()}`;
    const object = { ...fixture.object, metadata: { ...fixture.object.metadata, name } };
    const created = await resource.create(object);
    if (!type.namespaced) cleanup(resource, name);
    expect(created).toMatchObject(object);

    if (fixture.status !== undefined) {
      await resource.updateStatus({ ...created, status: fixture.status } as KubeObject);
    }
    const got = await resource.get(name);
    expect(got).toMatchObject(object);
    if (fixture.status !== undefined) {
      expect((got as { status?: unknown }).status).toEqual(fixture.status);
    }
  });
});

function cleanup(resource: ResourceClient, name: string): void {
  onTestFinished(async () => {
    await resource.delete(name).catch(() => undefined);
  });
}
