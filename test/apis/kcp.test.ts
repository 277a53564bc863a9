// The kube-bind.io API on a real kcp: the bootstrap creates the workspace, the 12
// APIResourceSchemas, the APIExport and its recursive binding; kcp accepts every schema (CEL rules
// included) and serves the kinds in a workspace that binds the export. Running it again converges.
import { describe, expect, it, onTestFinished } from 'vitest';
import { kubeBindKinds } from '../../src/apis/kubebind/crds/index.ts';
import {
  kubeBindAPIBinding,
  kubeBindExportName,
  toAPIResourceSchema,
} from '../../src/apis/kubebind/kcp.ts';
import {
  boundSchemaSpecFromAPIResourceSchema,
  boundSchemaToCRD,
} from '../../src/apis/kubebind/schema-mapping.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { toCRD } from '../../src/apis/schema/crd.ts';
import { InvalidError, NotFoundError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  APIBindings,
  APIResourceSchemas,
  bootstrapKcp,
} from '../../src/providers/kcp/bootstrap.ts';
import * as full from '../fixtures/kube-bind-objects.ts';
import {
  controlPlane,
  eventually,
  kcpAdmin,
  testLogger,
  testWorkspace,
  uniqueSuffix,
} from '../harness/context.ts';

const hasKcp = controlPlane().kcp !== undefined;
const fail = (): never => {
  throw new Error('no clusters definition');
};

/** Bootstraps into a fresh top-level workspace, deleted after the test. */
async function bootstrapped(): Promise<string> {
  const root = await kcpAdmin('root');
  const workspace = `kube-bind-${uniqueSuffix()}`;
  onTestFinished(async () => {
    await root
      .delete(`/apis/tenancy.kcp.io/v1alpha1/workspaces/${workspace}`)
      .catch(() => undefined);
  });
  return bootstrapKcp({
    client: root,
    workspace,
    bindableBy: [{ kind: 'Group', name: 'system:authenticated' }],
    log: testLogger(),
    timeoutMs: 90_000,
  });
}

describe.runIf(hasKcp)('kube-bind.io on kcp', () => {
  it('bootstraps the schemas, the export and a bound recursive binding; again is a no-op', async () => {
    const path = await bootstrapped();
    const ws = await kcpAdmin(path);
    const schemas = await new ResourceClient(ws, APIResourceSchemas).list();
    expect(schemas.items.map((s) => s.metadata.name).sort()).toEqual(
      kubeBindKinds.map((def) => toAPIResourceSchema(def).metadata.name).sort(),
    );
    const binding = await new ResourceClient(ws, APIBindings).get(kubeBindExportName);
    expect(binding.status?.phase).toBe('Bound');

    // Running it again converges without errors and without new schemas.
    await bootstrapKcp({
      client: await kcpAdmin('root'),
      workspace: path.split(':')[1] ?? '',
      log: testLogger(),
    });
    expect((await new ResourceClient(ws, APIResourceSchemas).list()).items).toHaveLength(12);

    // The kinds are served in the kube-bind workspace itself, with their CEL rules.
    const bindings = new ResourceClient(ws, kb.ClusterBindings, 'default');
    const wrong = { ...full.fullClusterBinding.object, metadata: { name: 'other' } };
    // Served a moment after the binding is Bound: retry while the resource is not there yet.
    const err = await eventually('ClusterBindings to be served', () =>
      bindings.create(wrong).then(
        () => new Error('created'),
        (e: unknown) => (e instanceof NotFoundError ? undefined : e),
      ),
    );
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toContain('cluster binding name should be cluster');
  });

  it('moves the export to a changed schema on upgrade and keeps the old schema', async () => {
    const path = await bootstrapped();
    const ws = await kcpAdmin(path);
    const changed = kubeBindKinds.map((def) =>
      def.names.plural === 'clusters'
        ? { ...def, versions: def.versions.map((v) => ({ ...v, printerColumns: [] })) }
        : def,
    );
    const clusters = (kinds: typeof kubeBindKinds) =>
      toAPIResourceSchema(kinds.find((d) => d.names.plural === 'clusters') ?? fail()).metadata.name;
    expect(clusters(changed)).not.toBe(clusters(kubeBindKinds));

    const workspace = path.split(':')[1] ?? '';
    await bootstrapKcp({
      client: await kcpAdmin('root'),
      workspace,
      kinds: changed,
      log: testLogger(),
    });
    const exported = await ws.get<{ spec: { resources: { name: string; schema: string }[] } }>(
      `/apis/apis.kcp.io/v1alpha2/apiexports/${kubeBindExportName}`,
    );
    expect(exported.spec.resources.find((r) => r.name === 'clusters')?.schema).toBe(
      clusters(changed),
    );
    const names = (await new ResourceClient(ws, APIResourceSchemas).list()).items.map(
      (item) => item.metadata.name,
    );
    expect(names).toEqual(expect.arrayContaining([clusters(kubeBindKinds), clusters(changed)]));
    const binding = await new ResourceClient(ws, APIBindings).get(kubeBindExportName);
    expect(binding.status?.phase).toBe('Bound');
  });

  it('serves every kind in a workspace that binds the export, fields intact', async () => {
    const path = await bootstrapped();
    const consumer = await testWorkspace('provider');
    await consumer.client.create(
      '/apis/apis.kcp.io/v1alpha2/apibindings',
      kubeBindAPIBinding(path),
    );
    await eventually('the kube-bind.io binding to be Bound', async () => {
      const b = await new ResourceClient(consumer.client, APIBindings).get(kubeBindExportName);
      return b.status?.phase === 'Bound' ? true : undefined;
    });
    const requests = new ResourceClient(consumer.client, kb.APIServiceExportRequests, 'default');
    const created = await eventually('export requests to be served', () =>
      requests.create(structuredClone(full.fullExportRequest.object)),
    );
    expect(created).toMatchObject(full.fullExportRequest.object);
    const minimal = await requests.create({
      metadata: { name: 'minimal' },
      spec: { resources: [{ resource: 'cowboys' }] },
    });
    expect(minimal.status?.phase).toBe('Pending');
    expect(minimal.spec.schemaUpdatePolicy).toBe('Never');
  });

  it('maps an APIResourceSchema to a BoundSchema with the bare schema, and back to the CRD', async () => {
    const path = await bootstrapped();
    const ws = await kcpAdmin(path);
    const def = kubeBindKinds.find((k) => k.names.plural === 'clusterbindings');
    if (!def) throw new Error('no clusterbindings definition');
    const live = await new ResourceClient(ws, APIResourceSchemas).get(
      toAPIResourceSchema(def).metadata.name,
    );
    const spec = boundSchemaSpecFromAPIResourceSchema(live, 'Namespaced');
    const v1alpha2 = spec.versions.find((v) => v.name === 'v1alpha2');
    expect(v1alpha2?.schema).not.toHaveProperty('openAPIV3Schema');
    expect(v1alpha2?.schema).toMatchObject({ type: 'object' });
    const crd = boundSchemaToCRD(spec);
    const expected = toCRD(def);
    expect(crd.spec.versions.map((v) => v.schema)).toEqual(
      expected.spec.versions.map((v) => v.schema),
    );
  });
});
