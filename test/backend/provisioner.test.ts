// Consumer provisioning on the real kube-apiserver + kube-controller-manager (which issues the
// service account token): every object of docs/controllers.md §3 with upstream's names,
// annotations and rules; a second call writes nothing; legacy annotations are migrated; a taken
// name is refused; and the issued kubeconfig itself can do what a konnector needs in its own
// namespace and nothing in another consumer's.
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { identityHash } from '../../src/apis/kubebind/identity-hash.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import {
  ConsumerProvisioner,
  namespaceLookup,
  type ProvisionerConfig,
} from '../../src/backend/binding/provisioner.ts';
import { BackendError } from '../../src/backend/errors.ts';
import { binderRules } from '../../src/backend/resources/consumer.ts';
import { KubeClient, PatchType, type RequestRecord } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ForbiddenError } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoles,
  ConfigMaps,
  Namespaces,
  RoleBindings,
  Roles,
  Secrets,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import { SharedInformerFactory } from '../../src/runtime/cache/factory.ts';
import { realClock } from '../../src/runtime/clock.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  uniqueSuffix,
} from '../harness/context.ts';
import { clientFromKubeconfig, deleteNamespacesAfterTest } from '../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

/** The OIDC user who binds (the provisioner records it on the namespace). */
const owner = (subject: string) => ({ issuer: 'https://issuer.example', subject });

interface Setup {
  admin: KubeClient;
  provisioner: ConsumerProvisioner;
  prefix: string;
  writes: RequestRecord[];
  config: ProvisionerConfig;
  /** Waits until the provisioner's namespace cache shows `count` namespaces for `identity`. */
  cached: (identity: string, count: number) => Promise<void>;
}

/** A provisioner with its own namespace prefix (namespaces deleted after the test). */
async function setup(): Promise<Setup> {
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const writes: RequestRecord[] = [];
  const client = new KubeClient(conn, {
    userAgent: 'kube-bind-ts-backend-test',
    observer: (r) => {
      if (!['get', 'list', 'watch'].includes(r.verb.toLowerCase())) writes.push(r);
    },
  });
  onTestFinished(() => client.close());
  const admin = await kubeAdmin();
  const prefix = `p${uniqueSuffix()}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const factory = new SharedInformerFactory({ client, clock: realClock, log: testLogger() });
  const lookup = namespaceLookup(factory.informerFor(Namespaces));
  factory.start();
  onTestFinished(() => factory.stop());
  await factory.waitForSync();
  const config: ProvisionerConfig = {
    namespacePrefix: prefix,
    prettyName: 'Wild West Inc.',
    server: conn.server,
    caPem: conn.caPem ?? '',
  };
  const provisioner = new ConsumerProvisioner(config, {
    client,
    namespacesByIdentity: lookup,
    clock: realClock,
    log: testLogger(),
  });
  const cached = async (identity: string, count: number) => {
    await eventually(`${count} cached namespaces for ${identity}`, () =>
      lookup(identity).length === count ? true : undefined,
    );
  };
  return { admin, provisioner, prefix, writes, config, cached };
}

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  contexts: { name: string; context: { cluster: string; namespace: string; user: string } }[];
  'current-context': string;
  users: { name: string; user: { token: string } }[];
}

describe('consumer provisioning', () => {
  it('creates every object with upstream names, annotations and rules', async () => {
    const { admin, provisioner, prefix, config } = await setup();
    const who = {
      identity: `consumer-${uniqueSuffix()}`,
      author: 'alice',
      clusterPrettyName: 'Alpha',
      owner: owner('alice'),
    };
    const result = await provisioner.provision(who);

    expect(result.namespace).toBe(`${prefix}${identityHash(who.identity)}`);
    const ns = await new ResourceClient(admin, Namespaces).get(result.namespace);
    expect(ns.metadata?.annotations).toMatchObject({
      'backend.kube-bind.io/identity': who.identity,
      'backend.kube-bind.io/author': 'alice',
    });
    const binding = await new ResourceClient(admin, kb.ClusterBindings, result.namespace).get(
      'cluster',
    );
    expect(binding.spec).toEqual({
      kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
      providerPrettyName: 'Wild West Inc.',
    });
    expect(binding.metadata?.annotations).toMatchObject({
      'backend.kube-bind.io/identity': who.identity,
      'backend.kube-bind.io/author': 'alice',
      'backend.kube-bind.io/cluster-pretty-name': 'Alpha',
    });
    await new ResourceClient(admin, ServiceAccounts, result.namespace).get('kube-binder');
    const token = await new ResourceClient(admin, Secrets, result.namespace).get('kube-binder');
    expect(token.type).toBe('kubernetes.io/service-account-token');
    const role = await new ResourceClient(admin, ClusterRoles).get('kube-binder');
    expect(role.rules).toEqual(binderRules);
    const rb = await new ResourceClient(admin, RoleBindings, result.namespace).get('kube-binder');
    expect(rb.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'kube-binder' });
    expect(rb.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'kube-binder', namespace: result.namespace },
    ]);

    const secret = await new ResourceClient(admin, Secrets, result.namespace).get('kubeconfig');
    expect(Buffer.from(secret.data?.['kubeconfig'] ?? '', 'base64').toString()).toBe(
      result.kubeconfig,
    );
    const kc = parse(result.kubeconfig) as Kubeconfig;
    expect(kc['current-context']).toBe('default');
    expect(kc.clusters[0]?.cluster.server).toBe(config.server);
    expect(
      Buffer.from(kc.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(),
    ).toBe(config.caPem);
    expect(kc.contexts[0]).toEqual({
      name: 'default',
      context: { cluster: 'default', namespace: result.namespace, user: 'default' },
    });
  });

  it('writes nothing and returns the same kubeconfig when called again', async () => {
    const { provisioner, writes } = await setup();
    const who = { identity: `consumer-${uniqueSuffix()}`, author: 'alice', owner: owner('alice') };
    const first = await provisioner.provision(who);
    const before = writes.length;
    expect(before).toBeGreaterThan(0);
    const second = await provisioner.provision(who);
    expect(second).toEqual(first);
    expect(writes.slice(before)).toEqual([]);
  });

  it('reuses a namespace of any name that carries the identity, and migrates the legacy key', async () => {
    const { admin, provisioner, prefix, cached } = await setup();
    const namespaces = new ResourceClient(admin, Namespaces);
    const identity = `consumer-${uniqueSuffix()}`;
    // A pre-v0.7 namespace: random name, current annotation.
    const old = `${prefix}random-abc`;
    await namespaces.create({
      metadata: {
        name: old,
        annotations: {
          'backend.kube-bind.io/identity': identity,
          'backend.kube-bind.io/author': 'a',
        },
      },
    });
    await cached(identity, 1);
    expect(
      (await provisioner.provision({ identity, author: 'a', owner: owner('a') })).namespace,
    ).toBe(old);

    // A namespace at the hashed name with only the legacy annotation.
    const legacy = `consumer-${uniqueSuffix()}`;
    const name = `${prefix}${identityHash(legacy)}`;
    await namespaces.create({
      metadata: {
        name,
        annotations: {
          'example-backend.kube-bind.io/identity': legacy,
          'backend.kube-bind.io/author': 'a',
        },
      },
    });
    expect(
      (await provisioner.provision({ identity: legacy, author: 'a', owner: owner('a') })).namespace,
    ).toBe(name);
    const migrated = await namespaces.get(name);
    expect(migrated.metadata?.annotations?.['backend.kube-bind.io/identity']).toBe(legacy);
    expect(migrated.metadata?.annotations).not.toHaveProperty(
      'example-backend.kube-bind.io/identity',
    );
  });

  it('refuses a taken name and leaves nothing behind; refuses two namespaces for one identity', async () => {
    const { admin, provisioner, prefix, cached } = await setup();
    const namespaces = new ResourceClient(admin, Namespaces);
    const identity = `consumer-${uniqueSuffix()}`;
    const name = `${prefix}${identityHash(identity)}`;
    await namespaces.create({
      metadata: { name, annotations: { 'backend.kube-bind.io/identity': 'someone-else' } },
    });
    const err = await provisioner
      .provision({ identity, author: 'a', owner: owner('a') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('NamespaceCollision');
    const bindings = await new ResourceClient(admin, kb.ClusterBindings, name).list();
    expect(bindings.items).toEqual([]);

    const twice = `consumer-${uniqueSuffix()}`;
    for (const suffix of ['a', 'b']) {
      await namespaces.create({
        metadata: {
          name: `${prefix}dup-${suffix}`,
          annotations: { 'backend.kube-bind.io/identity': twice },
        },
      });
    }
    await cached(twice, 2);
    const dup = await provisioner
      .provision({ identity: twice, author: 'a', owner: owner('a') })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(BackendError);
    expect((dup as BackendError).code).toBe('MultipleNamespaces');
    expect((dup as Error).message).toContain(`${prefix}dup-a, ${prefix}dup-b`);
  });

  it('writes the kubeconfig into the secret an existing ClusterBinding names', async () => {
    const { admin, provisioner, prefix } = await setup();
    const identity = `consumer-${uniqueSuffix()}`;
    const name = `${prefix}${identityHash(identity)}`;
    await new ResourceClient(admin, Namespaces).create({
      metadata: {
        name,
        annotations: {
          'backend.kube-bind.io/identity': identity,
          'backend.kube-bind.io/author': 'a',
        },
      },
    });
    await new ResourceClient(admin, kb.ClusterBindings, name).create({
      metadata: { name: 'cluster' },
      spec: { kubeconfigSecretRef: { name: 'custom', key: 'kubeconfig' }, providerPrettyName: 'p' },
    });
    const result = await provisioner.provision({ identity, author: 'a', owner: owner('a') });
    const secret = await new ResourceClient(admin, Secrets, name).get('custom');
    expect(Buffer.from(secret.data?.['kubeconfig'] ?? '', 'base64').toString()).toBe(
      result.kubeconfig,
    );
  });

  it('gives the issued kubeconfig its own namespace and nothing of another consumer', async () => {
    const { provisioner } = await setup();
    const a = await provisioner.provision({
      identity: `a-${uniqueSuffix()}`,
      author: 'a',
      owner: owner('a'),
    });
    const b = await provisioner.provision({
      identity: `b-${uniqueSuffix()}`,
      author: 'b',
      owner: owner('b'),
    });
    const asA = await clientFromKubeconfig(a.kubeconfig);

    // What a konnector needs, in its own namespace.
    await new ResourceClient(asA, kb.ClusterBindings, a.namespace).get('cluster');
    await new ResourceClient(asA, Secrets, a.namespace).list();
    await new ResourceClient(asA, Namespaces).get(a.namespace);
    await new ResourceClient(asA, kb.APIServiceExports, a.namespace).list();
    await new ResourceClient(asA, kb.BoundSchemas, a.namespace).list();
    const requests = new ResourceClient(asA, kb.APIServiceExportRequests, a.namespace);
    await requests.create({
      metadata: { name: 'cowboys' },
      spec: { resources: [{ resource: 'cowboys' }] },
    });
    const asns = new ResourceClient(asA, kb.APIServiceNamespaces, a.namespace);
    await asns.create({ metadata: { name: 'default' }, spec: {} });
    await asns.delete('default');
    // The konnector's status writes: heartbeat, export and schema conditions.
    const status = { status: { konnectorVersion: 'v0.8.1' } };
    await new ResourceClient(asA, kb.ClusterBindings, a.namespace).patch(
      'cluster',
      PatchType.merge,
      status,
      { subresource: 'status' },
    );
    await requests.delete('cowboys');

    // Nothing in B's namespace, and nothing it was not given in its own.
    const forbidden: (() => Promise<unknown>)[] = [
      () => new ResourceClient(asA, Secrets, b.namespace).list(),
      () => new ResourceClient(asA, kb.ClusterBindings, b.namespace).get('cluster'),
      () => new ResourceClient(asA, kb.APIServiceExportRequests, b.namespace).list(),
      () => new ResourceClient(asA, Namespaces).get(b.namespace),
      () => new ResourceClient(asA, Namespaces).list(),
      () => new ResourceClient(asA, kb.APIServiceExports, b.namespace).list(),
      () => new ResourceClient(asA, kb.BoundSchemas, b.namespace).list(),
      () => new ResourceClient(asA, kb.APIServiceNamespaces, b.namespace).list(),
      () =>
        new ResourceClient(asA, kb.ClusterBindings, b.namespace).patch(
          'cluster',
          PatchType.merge,
          { status: { konnectorVersion: 'forged' } },
          { subresource: 'status' },
        ),
      () =>
        new ResourceClient(asA, kb.ClusterBindings, a.namespace).patch('cluster', PatchType.merge, {
          spec: { providerPrettyName: 'forged' },
        }),
      () => new ResourceClient(asA, Secrets, a.namespace).delete('kubeconfig'),
      () => new ResourceClient(asA, kb.BoundSchemas, a.namespace).delete('anything'),
      () => new ResourceClient(asA, kb.APIServiceExportTemplates).list(),
      () => new ResourceClient(asA, Roles, a.namespace).list(),
      () => new ResourceClient(asA, ConfigMaps, a.namespace).list(),
      () =>
        new ResourceClient(asA, kb.APIServiceExports, a.namespace).create({
          metadata: { name: 'x' },
          spec: {
            resources: [{ resource: 'cowboys' }],
            informerScope: 'Namespaced',
            isolation: 'None',
          },
        }),
    ];
    for (const attempt of forbidden) {
      await expect(attempt()).rejects.toBeInstanceOf(ForbiddenError);
    }
  });
});
