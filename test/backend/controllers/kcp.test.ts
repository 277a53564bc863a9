// The kcp-only controllers on a real kcp, in the 3-tier layout: a provider workspace owns an
// APIExport of the wildwest APIs; a backend workspace binds it and kube-bind.io. The controllers,
// run by a manager over the kcp provider, turn the backend's binding into templates, labelled
// local copies of the schemas (fetched through kcp's apiresourceschema virtual workspace) and the
// RBAC that lets the backend read them; and with `--schema-source=apiresourceschemas` the
// serviceexportrequest controller exports those copies to a consumer.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { wildwestGroup } from '../../../src/apis/examples/wildwest.ts';
import {
  kubeBindAPIBinding,
  kubeBindExportName,
  type APIBinding,
  type APIResourceSchema,
} from '../../../src/apis/kubebind/kcp.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ownerBindingAnnotation } from '../../../src/apis/kubebind/wire.ts';
import { kcpControllers, vwSubject } from '../../../src/backend/controllers/kcp/index.ts';
import { vwReaderName } from '../../../src/backend/controllers/kcp/vwrbac/decide.ts';
import { serviceExportRequestController } from '../../../src/backend/controllers/serviceexportrequest/controller.ts';
import { kcpSource } from '../../../src/backend/options/values.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { ignoreAlreadyExists, NotFoundError } from '../../../src/kube/errors.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles, Namespaces } from '../../../src/kube/resources.ts';
import { APIBindings, APIResourceSchemas } from '../../../src/providers/kcp/bootstrap.ts';
import { KcpProvider } from '../../../src/providers/kcp/provider.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import type { ControllerSpec } from '../../../src/runtime/controller/controller.ts';
import { Manager } from '../../../src/runtime/manager/manager.ts';
import {
  APIExports,
  wildwestExport,
  wildwestExportName,
  wildwestSchema,
} from '../../fixtures/kcp-wildwest.ts';
import { freshKubeBindExport } from '../../harness/kcp-export.ts';
import {
  controlPlane,
  eventually,
  kcpAdmin,
  testLogger,
  testWorkspace,
  uniqueSuffix,
} from '../../harness/context.ts';

const exportName = wildwestExportName;
const bindingName = 'wildwest';
const cowboys = wildwestSchema('cowboys');
const sheriffs = wildwestSchema('sheriffs');

/** kube-bind.io bootstrapped into a fresh workspace (deleted after the test). */
async function kubeBindWorkspace(): Promise<string> {
  return (await freshKubeBindExport('kb-kcpctl')).path;
}

/** A manager running `specs` over a kcp provider of the export in `path`, until the test ends. */
async function run(path: string, specs: ControllerSpec[]): Promise<void> {
  const admin = await connectionFromKubeconfig({ file: controlPlane().kcp?.kubeconfigPath ?? '' });
  const log = testLogger();
  const provider = new KcpProvider({
    connection: { ...admin, server: `${new URL(admin.server).origin}/clusters/${path}` },
    endpointSliceName: kubeBindExportName,
    clock: realClock,
    log,
  });
  const manager = new Manager({ provider, clock: realClock, log });
  for (const spec of specs) manager.add(spec);
  const abort = new AbortController();
  const running = manager.start(abort.signal);
  onTestFinished(async () => {
    abort.abort();
    await running;
  });
}

/** The provider workspace: both wildwest schemas and an APIExport of them. */
async function providerWorkspace(): Promise<{ path: string; source: APIResourceSchema }> {
  const { path, client } = await testWorkspace('kb-provider');
  const schemas = new ResourceClient(client, APIResourceSchemas);
  // As kcp stores it (it defaults fields, e.g. spec.nameValidation).
  const source = await schemas.create(cowboys);
  await schemas.create(sheriffs);
  await new ResourceClient(client, APIExports).create(wildwestExport([cowboys, sheriffs]));
  return { path, source };
}

/** The backend workspace: binds kube-bind.io (so it is engaged) and the provider's export. */
async function backendWorkspace(kubeBindPath: string, providerPath: string) {
  const { client } = await testWorkspace('kb-backend');
  const bindings = new ResourceClient(client, APIBindings);
  // kcp may refuse to bind a export made a moment ago ("no permission to bind"): retry.
  const bind = (binding: APIBinding) =>
    eventually(`binding ${binding.metadata?.name ?? ''}`, () =>
      ignoreAlreadyExists(bindings.create(binding)).then(() => true),
    );
  await bind(kubeBindAPIBinding(kubeBindPath));
  await bind({
    metadata: { name: bindingName },
    spec: { reference: { export: { path: providerPath, name: exportName } } },
  });
  await eventually('the backend’s bindings to be Bound', async () => {
    const all = await bindings.listAll();
    return all.items.every((b) => b.status?.phase === 'Bound') && all.items.length >= 2
      ? true
      : undefined;
  });
  return client;
}

const getOrUndefined = async <T>(get: Promise<T>): Promise<T | undefined> => {
  try {
    return await get;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
};

describe.runIf(controlPlane().kcp !== undefined)('kcp-only controllers', () => {
  it('derive templates, exported schema copies and the VW RBAC from a backend’s binding, and a request is exported from the copies', async () => {
    const kubeBindPath = await kubeBindWorkspace();
    const identity = await vwSubject(await kcpAdmin(kubeBindPath));
    await run(
      kubeBindPath,
      kcpControllers({
        apiBindingIgnorePrefixes: ['kube-bind.io', 'tenancy.kcp.io', 'topology.kcp.io'],
        vwSubject: identity,
      }),
    );
    const { path: providerPath, source } = await providerWorkspace();
    const backend = await backendWorkspace(kubeBindPath, providerPath);
    const binding = await new ResourceClient(backend, APIBindings).get(bindingName);

    // Templates, one per scope, owned by the binding.
    const templates = new ResourceClient(backend, kb.APIServiceExportTemplates);
    const namespaced = await eventually('the namespaced template', () =>
      getOrUndefined(templates.get(`${bindingName}-namespaced`)),
    );
    expect(namespaced.metadata?.annotations?.[ownerBindingAnnotation]).toBe(bindingName);
    // No claims or namespaces; the policy is the CRD's default.
    expect(namespaced.spec).toEqual({
      scope: 'Namespaced',
      resources: [{ group: wildwestGroup, resource: 'cowboys', versions: ['v1alpha1'] }],
      schemaUpdatePolicy: 'Never',
    });
    expect(namespaced.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'apis.kcp.io/v1alpha2',
        kind: 'APIBinding',
        name: bindingName,
        uid: binding.metadata?.uid,
      },
    ]);
    const cluster = await eventually('the cluster-scoped template', () =>
      getOrUndefined(templates.get(`${bindingName}-cluster`)),
    );
    expect(cluster.spec.resources).toEqual([
      { group: wildwestGroup, resource: 'sheriffs', versions: ['v1alpha1'] },
    ]);
    // The kube-bind.io binding is ignored.
    expect((await templates.listAll()).items.map((t) => t.metadata?.name).sort()).toEqual([
      `${bindingName}-cluster`,
      `${bindingName}-namespaced`,
    ]);

    // Labelled copies of the provider's schemas, of the same name and spec, owned by a template.
    const schemas = new ResourceClient(backend, APIResourceSchemas);
    const copy = await eventually('the cowboys schema copy', () =>
      getOrUndefined(schemas.get(cowboys.metadata.name)),
    );
    expect(copy.metadata.labels?.['kube-bind.io/exported']).toBe('true');
    expect(copy.spec).toEqual(source.spec);
    expect(copy.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceExportTemplate',
        name: `${bindingName}-namespaced`,
        uid: namespaced.metadata?.uid,
      },
    ]);
    await eventually('the sheriffs schema copy', () =>
      getOrUndefined(schemas.get(sheriffs.metadata.name)),
    );

    // The VW reader role and its binding to the backend, drift corrected.
    await expectVWRBAC(backend, identity.name);

    // With the copies exported, a request for cowboys becomes BoundSchemas and an export.
    await run(kubeBindPath, [
      serviceExportRequestController({
        consumerScope: 'Namespaced',
        isolation: 'Prefixed',
        clock: realClock,
        schemaSource: kcpSource,
      }),
    ]);
    const ns = `kube-bind-${uniqueSuffix()}`;
    await new ResourceClient(backend, Namespaces).create({ metadata: { name: ns } });
    const requests = new ResourceClient(backend, kb.APIServiceExportRequests, ns);
    await requests.create({
      metadata: { name: 'cowboys' },
      spec: { resources: [{ group: wildwestGroup, resource: 'cowboys', versions: ['v1alpha1'] }] },
    });
    const done = await eventually('the request to finish', async () => {
      const r = await requests.get('cowboys');
      return r.status?.phase === 'Pending' || !r.status?.phase ? undefined : r;
    });
    expect(done.status?.phase).toBe('Succeeded');
    const bound = await new ResourceClient(backend, kb.BoundSchemas, ns).get(
      'cowboys.wildwest.dev',
    );
    // An APIResourceSchema's version schema is bare (no openAPIV3Schema wrapper).
    expect(bound.spec?.versions[0]?.schema).toMatchObject({ type: 'object' });
    expect(bound.spec?.versions[0]?.schema).not.toHaveProperty('openAPIV3Schema');
    const exp = await new ResourceClient(backend, kb.APIServiceExports, ns).get('cowboys');
    expect(exp.spec.resources).toEqual([
      { group: wildwestGroup, resource: 'cowboys', versions: ['v1alpha1'] },
    ]);

    // Unbinding takes the templates, and with them the schema copies.
    await new ResourceClient(backend, APIBindings).delete(bindingName);
    await eventually('the templates to go', async () =>
      (await templates.listAll()).items.length === 0 ? true : undefined,
    );
    await eventually(
      'the schema copies to go',
      async () =>
        (await getOrUndefined(schemas.get(cowboys.metadata.name))) === undefined &&
        (await getOrUndefined(schemas.get(sheriffs.metadata.name))) === undefined
          ? true
          : undefined,
      { timeoutMs: 90_000 },
    );
  }, 300_000);
});

async function expectVWRBAC(backend: KubeClient, user: string): Promise<void> {
  const roles = new ResourceClient(backend, ClusterRoles);
  const bindings = new ResourceClient(backend, ClusterRoleBindings);
  const wantRules = [
    { nonResourceURLs: ['/'], verbs: ['access'] },
    { apiGroups: ['apis.kcp.io'], resources: ['apibindings'], verbs: ['get', 'list', 'watch'] },
  ];
  const wantSubjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }];
  const role = await eventually('the VW reader role', () =>
    getOrUndefined(roles.get(vwReaderName)),
  );
  expect(role.rules).toEqual(wantRules);
  const binding = await eventually('the VW reader binding', () =>
    getOrUndefined(bindings.get(vwReaderName)),
  );
  expect(binding.subjects).toEqual(wantSubjects);
  expect(binding.roleRef).toEqual({
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name: vwReaderName,
  });

  await roles.update({ ...role, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] });
  await bindings.update({
    ...binding,
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }],
  });
  // (Compared as values: the server returns a rule's fields in its own order.)
  await eventually('the role’s rules to be put back', async () =>
    isDeepStrictEqual((await roles.get(vwReaderName)).rules, wantRules) ? true : undefined,
  );
  await eventually('the binding’s subjects to be put back', async () =>
    isDeepStrictEqual((await bindings.get(vwReaderName)).subjects, wantSubjects) ? true : undefined,
  );
  await roles.delete(vwReaderName);
  await eventually('a deleted role to be made again', () =>
    getOrUndefined(roles.get(vwReaderName)),
  );
}
