// The client against the real kube-apiserver: credentials of every kind, paging, typed errors,
// patches and server-side apply, delete options, the status subresource, and network retries.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient, PatchType } from '../../src/kube/client.ts';
import type { RequestRecord } from '../../src/kube/client.ts';
import { connectionFromKubeconfig, connectionInCluster } from '../../src/kube/config.ts';
import { ConflictError, InvalidError, NotFoundError } from '../../src/kube/errors.ts';
import { ResourceClient, resourceType } from '../../src/kube/resource.ts';
import type { KubeObject } from '../../src/kube/resource.ts';
import {
  ConfigMaps,
  CustomResourceDefinitions,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testNamespace,
  uniqueSuffix,
} from '../harness/context.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';
import { widgetCrd } from '../fixtures/widget-crd.ts';

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string } };
}

async function whoAmI(client: KubeClient): Promise<string | undefined> {
  const review = await client.create<SelfSubjectReview>(
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  );
  return review.status?.userInfo?.username;
}

/** A service account in `ns` and a fresh token for it (TokenRequest). */
async function serviceAccountToken(admin: KubeClient, ns: string): Promise<string> {
  const sas = new ResourceClient(admin, ServiceAccounts, ns);
  await sas.create({ metadata: { name: 'robot' } });
  const req = await admin.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${ns}/serviceaccounts/robot/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
  );
  return req.status.token;
}

function tempDir(): string {
  return mkdtempSync(join(controlPlane().runDir, 'client-'));
}

describe('client credentials', () => {
  it('authenticates with a bearer token from a kubeconfig, with the CA as a file', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'token');
    const token = await serviceAccountToken(admin, ns);
    const dir = tempDir();
    writeFileSync(join(dir, 'ca.crt'), await caPem());
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${admin.server.origin}", certificate-authority: "${join(dir, 'ca.crt')}"}}]`,
      `users: [{name: u, user: {token: "${token}"}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n');
    const client = new KubeClient(await connectionFromKubeconfig({ text: kubeconfig }));
    try {
      expect(await whoAmI(client)).toBe(`system:serviceaccount:${ns}:robot`);
    } finally {
      await client.close();
    }
  });

  it('runs in-cluster from a mounted service-account token and CA', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'incluster');
    const token = await serviceAccountToken(admin, ns);
    const prefix = tempDir();
    const mount = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, 'token'), token);
    writeFileSync(join(mount, 'ca.crt'), await caPem());
    writeFileSync(join(mount, 'namespace'), ns);
    const saved = { ...process.env };
    process.env['KUBERNETES_SERVICE_HOST'] = admin.server.hostname;
    process.env['KUBERNETES_SERVICE_PORT'] = admin.server.port;
    let client: KubeClient | undefined;
    try {
      client = new KubeClient(await connectionInCluster({ pathPrefix: prefix }));
      expect(await whoAmI(client)).toBe(`system:serviceaccount:${ns}:robot`);
    } finally {
      process.env = saved;
      await client?.close();
    }
  });

  it('checks the serving certificate against tls-server-name', async () => {
    const { kube } = controlPlane();
    const base = await connectionFromKubeconfig({ file: kube.kubeconfigPath });
    const good = new KubeClient({ ...base, tlsServerName: 'kubernetes.default.svc' });
    const bad = new KubeClient(
      { ...base, tlsServerName: 'not-the-apiserver.example' },
      { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
    );
    try {
      expect(await good.get('/version')).toHaveProperty('gitVersion');
      await expect(bad.get('/version')).rejects.toThrow(/altnames|Hostname|certificate/i);
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('reads client certificates from a kubeconfig (the harness admin)', async () => {
    const admin = await kubeAdmin();
    expect(await whoAmI(admin)).toBe('kube-bind-ts:admin');
  });
});

async function caPem(): Promise<string> {
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  if (!conn.caPem) throw new Error('the harness kubeconfig has no CA');
  return conn.caPem;
}

describe('client verbs', () => {
  it('lists in pages with continue tokens', async () => {
    const records: RequestRecord[] = [];
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const client = new KubeClient(conn, { observer: (r) => records.push(r) });
    try {
      const ns = await testNamespace(await kubeAdmin(), 'paging');
      const cms = new ResourceClient(client, ConfigMaps, ns);
      for (let i = 0; i < 7; i++) await cms.create({ metadata: { name: `cm-${i}` } });
      records.length = 0;
      const { items, resourceVersion } = await cms.listAll({}, 3);
      // kube-root-ca.crt is published into every namespace as well.
      const names = items.map((o) => o.metadata?.name).filter((n) => n?.startsWith('cm-'));
      expect(names).toHaveLength(7);
      expect(Number(resourceVersion)).toBeGreaterThan(0);
      const lists = records.filter((r) => r.verb === 'list' && r.resource === 'configmaps');
      expect(lists.length).toBe(Math.ceil(items.length / 3));
      expect(lists.every((r) => r.code === '200')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('reports invalid objects with their field causes', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'invalid');
    const err: unknown = await new ResourceClient(admin, ConfigMaps, ns)
      .create({ metadata: { name: 'Not_Valid' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).causes.map((c) => c.field)).toContain('metadata.name');
    await expect(new ResourceClient(admin, ConfigMaps, ns).get('absent')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('patches with merge and JSON patches, and applies server-side with field managers', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'patch');
    const cms = new ResourceClient(admin, ConfigMaps, ns);
    await cms.create({ metadata: { name: 'p' }, data: { a: '1' } });
    await cms.patch('p', PatchType.merge, { data: { b: '2' } });
    const patched = await cms.patch('p', PatchType.json, [
      { op: 'replace', path: '/data/a', value: 'one' },
    ]);
    expect(patched.data).toEqual({ a: 'one', b: '2' });

    const applied = await cms.apply(
      { metadata: { name: 's', namespace: ns }, data: { owner: 'alice' } },
      { fieldManager: 'alice' },
    );
    expect(applied.metadata?.managedFields?.map((m) => m.manager)).toContain('alice');
    const conflict = cms.apply(
      { metadata: { name: 's', namespace: ns }, data: { owner: 'bob' } },
      { fieldManager: 'bob' },
    );
    await expect(conflict).rejects.toBeInstanceOf(ConflictError);
    const forced = await cms.apply(
      { metadata: { name: 's', namespace: ns }, data: { owner: 'bob' } },
      { fieldManager: 'bob', force: true },
    );
    expect(forced.data).toEqual({ owner: 'bob' });
  });

  it('deletes with preconditions and propagation policies', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'delete');
    const cms = new ResourceClient(admin, ConfigMaps, ns);
    const parent = await cms.create({ metadata: { name: 'parent' } });
    const uid = parent.metadata?.uid ?? '';
    await cms.create({
      metadata: {
        name: 'child',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid }],
      },
    });
    await expect(
      cms.delete('parent', { preconditions: { uid: 'not-the-uid' } }),
    ).rejects.toBeInstanceOf(ConflictError);
    await cms.delete('parent', { preconditions: { uid }, propagationPolicy: 'Orphan' });
    // The garbage collector orphans the child instead of deleting it.
    const child = await eventually('the child to be orphaned', async () => {
      const c = await cms.get('child');
      return (c.metadata?.ownerReferences ?? []).length === 0 ? c : undefined;
    });
    expect(child.metadata?.name).toBe('child');
    // The parent goes once the collector has dropped its orphan finalizer, which may be a moment
    // after the child lost its owner reference.
    await eventually('the parent to be gone', async () => {
      try {
        await cms.get('parent');
        return undefined;
      } catch (err) {
        if (err instanceof NotFoundError) return true;
        throw err;
      }
    });
  });

  it('writes the status subresource of any resource apart from its spec', async () => {
    const admin = await kubeAdmin();
    const group = `t${uniqueSuffix()}.kube-bind-ts.io`;
    const crds = new ResourceClient(admin, CustomResourceDefinitions);
    await crds.create(widgetCrd(group));
    const crdName = `widgets.${group}`;
    await eventually('the CRD to be established', async () => {
      const crd = await crds.get(crdName);
      const ok = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      return ok ? true : undefined;
    });
    try {
      const ns = await testNamespace(admin, 'status');
      const Widgets = resourceType<Widget>({
        group,
        version: 'v1',
        resource: 'widgets',
        kind: 'Widget',
        namespaced: true,
      });
      const widgets = new ResourceClient(admin, Widgets, ns);
      const created = await eventually('the new resource to be served', () =>
        widgets.create({
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { size: 1 },
        }),
      );
      const withStatus = await widgets.updateStatus({
        ...created,
        status: { ready: true },
        spec: { size: 99 },
      });
      expect(withStatus.status).toEqual({ ready: true });
      expect(withStatus.spec).toEqual({ size: 1 });
      const withSpec = await widgets.update({
        ...withStatus,
        spec: { size: 2 },
        status: { ready: false },
      });
      expect(withSpec.spec).toEqual({ size: 2 });
      expect(withSpec.status).toEqual({ ready: true });
    } finally {
      await crds.delete(crdName);
    }
  });
});

interface Widget extends KubeObject {
  spec?: { size?: number };
  status?: { ready?: boolean };
}

describe('client transport', () => {
  it('retries a read through a connection outage, but not a create', async () => {
    const base = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const proxy = await startTcpProxy(base.server);
    const records: RequestRecord[] = [];
    const client = new KubeClient(
      { ...base, server: proxy.url },
      {
        observer: (r) => records.push(r),
        retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 400 },
      },
    );
    try {
      proxy.disconnect();
      const reconnect = setTimeout(() => proxy.reconnect(), 500);
      const version = await client.get<{ gitVersion?: string }>('/version');
      clearTimeout(reconnect);
      expect(version.gitVersion).toMatch(/^v1\./);
      expect(records.filter((r) => r.code === '<error>').length).toBeGreaterThanOrEqual(1);

      proxy.disconnect();
      const ns = `never-${uniqueSuffix()}`;
      await expect(
        client.create('/api/v1/namespaces', { metadata: { name: ns } }),
      ).rejects.toThrow();
      proxy.reconnect();
      // A create on a broken connection is not repeated (the server might have applied it);
      // this one never reached the server.
      const admin = await kubeAdmin();
      await expect(admin.get(`/api/v1/namespaces/${ns}`)).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('addresses kcp logical clusters by path, one at a time and by wildcard', async () => {
    if (!controlPlane().kcp) return;
    const { clientFor, kcpAdmin, testWorkspace } = await import('../harness/context.ts');
    const { path, client: inWorkspace } = await testWorkspace('paths');
    const root = await kcpAdmin('root');
    const viaRoot = root.cluster(path);
    const name = `cm-${uniqueSuffix()}`;
    await new ResourceClient(inWorkspace, ConfigMaps, 'default').create({ metadata: { name } });
    const cm = await new ResourceClient(viaRoot, ConfigMaps, 'default').get(name);
    expect(cm.metadata?.annotations?.['kcp.io/cluster']).toBeTruthy();
    // Wildcard reads across logical clusters need the shard admin (virtual workspaces aside).
    const kubeconfig = controlPlane().kcp?.kubeconfigPath ?? '';
    const shardAdmin = await clientFor(kubeconfig, 'shard-base');
    const everywhere = await new ResourceClient(shardAdmin.cluster('*'), ConfigMaps).listAll();
    expect(everywhere.items.map((o) => o.metadata?.name)).toContain(name);
  });
});
