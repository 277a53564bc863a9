// The validation the kube-bind.io CRDs carry, on the real kube-apiserver: every CEL rule rejects
// what it must with its message, required fields and enums are enforced, and defaults are applied.
// Upstream clients rely on these (e.g. the CLI treats a request's spec as immutable).
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { InvalidError } from '../../src/kube/errors.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../../src/kube/resource.ts';
import * as full from '../fixtures/kube-bind-objects.ts';
import { kubeAdmin, testNamespace, uniqueSuffix } from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

/** A client for `type`: in a fresh namespace, or cluster-scoped with cleanup by name. */
async function clientOf<T extends KubeObject>(type: ResourceType<T>): Promise<ResourceClient<T>> {
  const admin = await kubeAdmin();
  if (!type.namespaced) return new ResourceClient(admin, type);
  return new ResourceClient(admin, type, await testNamespace(admin, 'validation'));
}

/** A copy of `obj` named uniquely when cluster-scoped, deleted after the test. */
function named<T extends KubeObject>(resource: ResourceClient<T>, obj: T, name?: string): T {
  const unique = name ?? `${obj.metadata?.name ?? 'x'}-${uniqueSuffix()}`;
  if (!resource.type.namespaced) {
    onTestFinished(async () => {
      await resource.delete(unique).catch(() => undefined);
    });
  }
  return { ...obj, metadata: { ...obj.metadata, name: unique } };
}

/** Expects `write` to be rejected as Invalid with a message containing `message`. */
async function rejected(write: Promise<unknown>, message: string): Promise<void> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with "${message}"`).toBeInstanceOf(InvalidError);
  expect((err as InvalidError).message).toContain(message);
}

const clone = <T>(value: T): T => structuredClone(value);

/** Creates `object`, changes `spec[field]` to `value` and expects the update to fail. */
async function expectImmutable<T extends KubeObject & { spec?: object }>(
  type: ResourceType<T>,
  object: T,
  field: string,
  value: unknown,
  message: string,
): Promise<void> {
  const r = await clientOf(type);
  const changed = clone(await r.create(clone(object)));
  (changed.spec as Record<string, unknown>)[field] = value;
  await rejected(r.update(changed), message);
}
const fail = (why: string): never => {
  throw new Error(why);
};

describe('ClusterBinding', () => {
  it('must be named cluster', async () => {
    const r = await clientOf(kb.ClusterBindings);
    await rejected(
      r.create(named(r, full.fullClusterBinding.object, 'other')),
      'cluster binding name should be cluster',
    );
  });

  it('keeps kubeconfigSecretRef immutable and needs a provider name', async () => {
    const r = await clientOf(kb.ClusterBindings);
    const created = await r.create(clone(full.fullClusterBinding.object));
    const changed = clone(created);
    changed.spec.kubeconfigSecretRef.name = 'another';
    await rejected(r.update(changed), 'kubeconfigSecretRef is immutable');
    const unnamed = clone(created);
    unnamed.spec.providerPrettyName = '';
    await rejected(r.update(unnamed), 'spec.providerPrettyName');
  });
});

describe('APIServiceExportRequest', () => {
  const fields: [keyof kb.APIServiceExportRequestSpec, unknown, string][] = [
    ['resources', [{ group: 'x.dev', resource: 'things' }], 'resources are immutable'],
    ['permissionClaims', [], 'permissionClaims are immutable'],
    ['namespaces', [{ name: 'other' }], 'namespaces are immutable'],
    ['schemaUpdatePolicy', 'Never', 'schemaUpdatePolicy is immutable'],
  ];
  it.each(fields)('spec.%s is immutable', async (field, value, message) => {
    await expectImmutable(
      kb.APIServiceExportRequests,
      full.fullExportRequest.object,
      field,
      value,
      message,
    );
  });

  it('accepts a change of the free-form parameters, as upstream’s schema does', async () => {
    // The rule `self == oldSelf` sits on an object that preserves unknown fields and declares
    // none: CEL sees no fields in it, so the rule cannot fail. We keep upstream's schema as it is.
    const r = await clientOf(kb.APIServiceExportRequests);
    const created = await r.create(clone(full.fullExportRequest.object));
    const changed = clone(created);
    changed.spec.parameters = { other: 1 };
    expect((await r.update(changed)).spec.parameters).toEqual({ other: 1 });
  });

  it('defaults the policy, the group and the status phase', async () => {
    const r = await clientOf(kb.APIServiceExportRequests);
    const created = await r.create({
      metadata: { name: 'minimal' },
      spec: { resources: [{ resource: 'cowboys' }] },
    });
    expect(created.spec.schemaUpdatePolicy).toBe('Never');
    expect(created.spec.resources[0]?.group).toBe('');
    expect(created.status?.phase).toBe('Pending');
  });

  it('needs at least one resource, with a valid name', async () => {
    const r = await clientOf(kb.APIServiceExportRequests);
    await rejected(
      r.create({ metadata: { name: 'empty' }, spec: { resources: [] } }),
      'spec.resources',
    );
    await rejected(
      r.create({ metadata: { name: 'bad' }, spec: { resources: [{ resource: 'Cowboys' }] } }),
      'spec.resources[0].resource',
    );
    await rejected(
      r.create({
        metadata: { name: 'badgroup' },
        spec: { resources: [{ group: 'Not_A_Group', resource: 'cowboys' }] },
      }),
      'spec.resources[0].group',
    );
  });
});

describe('APIServiceExport', () => {
  const fields: [keyof kb.APIServiceExportSpec, unknown, string][] = [
    ['resources', [{ group: 'x.dev', resource: 'things' }], 'resources are immutable'],
    ['permissionClaims', [], 'permissionClaims are immutable'],
    ['informerScope', 'Cluster', 'informerScope is immutable'],
    ['clusterScopedIsolation', 'None', 'clusterScopedIsolation is immutable'],
    ['isolation', 'Prefixed', 'isolation is immutable'],
  ];
  it.each(fields)('spec.%s is immutable', async (field, value, message) => {
    await expectImmutable(kb.APIServiceExports, full.fullExport.object, field, value, message);
  });

  it('needs informerScope and isolation, from their enums', async () => {
    const r = await clientOf(kb.APIServiceExports);
    const spec = { resources: [{ resource: 'cowboys' }] };
    await rejected(
      r.create({ metadata: { name: 'a' }, spec: { ...spec, informerScope: 'Cluster' } } as never),
      'spec.isolation',
    );
    await rejected(
      r.create({ metadata: { name: 'b' }, spec: { ...spec, isolation: 'None' } } as never),
      'spec.informerScope',
    );
    await rejected(
      r.create({
        metadata: { name: 'c' },
        spec: { ...spec, informerScope: 'Cluster', isolation: 'Shared' },
      } as never),
      'spec.isolation',
    );
  });
});

describe('BoundSchema', () => {
  const base = () => {
    const schema = clone(full.fullBoundSchema.object);
    return { ...schema, spec: schema.spec ?? fail('fixture has a spec') };
  };

  it('rejects a webhook with strategy None, and strategy Webhook without one', async () => {
    const r = await clientOf(kb.BoundSchemas);
    const none = base();
    none.spec.conversion = { strategy: 'None', webhook: { conversionReviewVersions: ['v1'] } };
    await rejected(r.create(none), 'Webhook must be specified if strategy=Webhook');
    const webhook = base();
    webhook.spec.conversion = { strategy: 'Webhook' };
    await rejected(r.create(webhook), 'Webhook must be specified if strategy=Webhook');
  });

  it('checks version names and defaults served to true', async () => {
    const r = await clientOf(kb.BoundSchemas);
    const badVersion = base();
    badVersion.spec.versions = [{ name: 'version1', served: true, storage: true, schema: {} }];
    await rejected(r.create(badVersion), 'spec.versions[0].name');
    const unserved = base();
    unserved.spec.conversion = { strategy: 'None' };
    unserved.spec.versions = [
      { name: 'v1', storage: true, schema: { openAPIV3Schema: { type: 'object' } } } as never,
    ];
    const created = await r.create(unserved);
    expect(created.spec?.versions[0]?.served).toBe(true);
  });

  it('needs an informerScope from its enum', async () => {
    const r = await clientOf(kb.BoundSchemas);
    const bad = base();
    (bad.spec as { informerScope: string }).informerScope = 'Everywhere';
    await rejected(r.create(bad), 'spec.informerScope');
  });
});

describe('APIServiceBinding and APIServiceBindingBundle', () => {
  it.each([
    ['APIServiceBinding', kb.APIServiceBindings, full.fullBinding.object],
    ['APIServiceBindingBundle', kb.APIServiceBindingBundles, full.fullBindingBundle.object],
  ] as const)('%s keeps kubeconfigSecretRef immutable', async (_kind, type, object) => {
    const r = await clientOf<KubeObject & { spec?: kb.APIServiceBindingSpec }>(type);
    const created = await r.create(named(r, clone(object)));
    const changed = clone(created);
    if (changed.spec) changed.spec.kubeconfigSecretRef.namespace = 'elsewhere';
    await rejected(r.update(changed), 'kubeconfigSecretRef is immutable');
  });
});

describe('templates, collections and clusters', () => {
  it('a template needs a scope from the enum and at least one resource', async () => {
    const r = await clientOf(kb.APIServiceExportTemplates);
    const badScope = named(r, clone(full.fullTemplate.object));
    (badScope.spec as { scope: string }).scope = 'Galaxy';
    await rejected(r.create(badScope), 'spec.scope');
    const noResources = named(r, clone(full.fullTemplate.object));
    noResources.spec.resources = [];
    await rejected(r.create(noResources), 'spec.resources');
    const defaulted = named(r, clone(full.fullTemplate.object));
    delete defaulted.spec.schemaUpdatePolicy;
    expect((await r.create(defaulted)).spec.schemaUpdatePolicy).toBe('Never');
  });

  it('a collection needs at least one template; a cluster needs a spec', async () => {
    const collections = await clientOf(kb.Collections);
    const empty = named(collections, clone(full.fullCollection.object));
    empty.spec.templates = [];
    await rejected(collections.create(empty), 'spec.templates');
    const clusters = await clientOf(kb.Clusters);
    await rejected(
      clusters.create(named(clusters, { metadata: { name: 'nospec' } } as never)),
      'spec',
    );
  });
});

describe('BindableResourcesRequest', () => {
  it('needs clusterIdentity and author, and defaults the status phase', async () => {
    const r = await clientOf(kb.BindableResourcesRequests);
    await rejected(
      r.create({ metadata: { name: 'a' }, spec: { author: 'alice' } } as never),
      'spec.clusterIdentity',
    );
    await rejected(
      r.create({ metadata: { name: 'b' }, spec: { clusterIdentity: { identity: 'x' } } } as never),
      'spec.author',
    );
    const created = await r.create({
      metadata: { name: 'c' },
      spec: { clusterIdentity: { identity: 'x' }, author: 'alice' },
    });
    expect(created.status?.phase).toBe('Pending');
  });
});

describe('v1alpha1, still served', () => {
  const v1alpha1 = <T extends KubeObject>(type: ResourceType<T>) =>
    ({ ...type, version: 'v1alpha1' }) as ResourceType<KubeObject & Record<string, unknown>>;

  it('serves v1alpha2 objects as v1alpha1 (conversion None only rewrites apiVersion)', async () => {
    const r = await clientOf(kb.ClusterBindings);
    await r.create(clone(full.fullClusterBinding.object));
    const old = new ResourceClient(r.client, v1alpha1(kb.ClusterBindings), r.namespace);
    const got = await old.get('cluster');
    expect(got.apiVersion).toBe('kube-bind.io/v1alpha1');
    expect(got['spec']).toMatchObject({ providerPrettyName: 'Wild West Inc.' });
  });

  it('ClusterBinding v1alpha1 only accepts the key kubeconfig', async () => {
    const r = await clientOf(kb.ClusterBindings);
    const old = new ResourceClient(r.client, v1alpha1(kb.ClusterBindings), r.namespace);
    const binding = {
      metadata: { name: 'cluster' },
      spec: { kubeconfigSecretRef: { name: 'k', key: 'other' }, providerPrettyName: 'p' },
    };
    await rejected(old.create(binding), 'spec.kubeconfigSecretRef.key');
  });

  it.each([
    [
      'ClusterBinding',
      kb.ClusterBindings,
      'cluster',
      'kubeconfigSecretRef',
      { name: 'x', key: 'kubeconfig' },
      'kubeconfigSecretRef is immutable',
    ],
    [
      'APIServiceExportRequest',
      kb.APIServiceExportRequests,
      'request',
      'resources',
      [{ resource: 'things' }],
      'resources are immutable',
    ],
  ] as const)(
    '%s v1alpha1 keeps spec.%s immutable',
    async (_kind, type, name, field, value, message) => {
      const r = await clientOf(type as ResourceType);
      const old = new ResourceClient(r.client, v1alpha1(type as ResourceType), r.namespace);
      const objects: Record<string, Record<string, unknown>> = {
        cluster: {
          kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
          providerPrettyName: 'p',
        },
        request: { resources: [{ resource: 'cowboys' }] },
      };
      const created = await old.create({ metadata: { name }, spec: objects[name] });
      const changed = clone(created);
      (changed['spec'] as Record<string, unknown>)[field] = value;
      await rejected(old.update(changed), message);
    },
  );

  it('APIServiceBinding v1alpha1 keeps kubeconfigSecretRef immutable', async () => {
    const r = await clientOf(kb.APIServiceBindings);
    const old = new ResourceClient(r.client, v1alpha1(kb.APIServiceBindings));
    const ref = { name: 'kubeconfig', namespace: 'kube-bind', key: 'kubeconfig' };
    const binding = named(r, {
      metadata: { name: 'old-binding' },
      spec: { kubeconfigSecretRef: ref },
    });
    const created = await old.create(binding as KubeObject & Record<string, unknown>);
    const changed = clone(created);
    changed['spec'] = { kubeconfigSecretRef: { ...ref, name: 'other' } };
    await rejected(old.update(changed), 'kubeconfigSecretRef is immutable');
  });

  it('APIServiceExport v1alpha1 enforces its name and scope rules', async () => {
    const r = await clientOf(kb.APIServiceExports);
    const old = new ResourceClient(r.client, v1alpha1(kb.APIServiceExports), r.namespace);
    const version = { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {} } };
    const exported = (name: string, spec: Record<string, unknown>) => ({
      metadata: { name },
      spec: {
        group: 'wildwest.dev',
        names: { plural: 'sheriffs', kind: 'Sheriff' },
        versions: [version],
        ...spec,
      },
    });
    await rejected(
      old.create(exported('wrong-name', { scope: 'Namespaced', informerScope: 'Namespaced' })),
      'informerScope is immutable',
    );
    await rejected(
      old.create(
        exported('sheriffs.wildwest.dev', {
          scope: 'Cluster',
          informerScope: 'Namespaced',
          clusterScopedIsolation: 'Prefixed',
        }),
      ),
      'informerScope must be Cluster for cluster-scoped resources',
    );
    await rejected(
      old.create(exported('sheriffs.wildwest.dev', { scope: 'Cluster', informerScope: 'Cluster' })),
      'clusterScopedIsolation must be defined for cluster-scoped resources',
    );
    await rejected(
      old.create(
        exported('sheriffs.wildwest.dev', {
          scope: 'Namespaced',
          informerScope: 'Cluster',
          clusterScopedIsolation: 'None',
        }),
      ),
      'clusterScopedIsolation is not relevant for namespaced resources',
    );
    const created = await old.create(
      exported('sheriffs.wildwest.dev', { scope: 'Namespaced', informerScope: 'Cluster' }),
    );
    // An update must carry the whole v1alpha1 spec again (storage pruned what v1alpha2 lacks).
    const changed = {
      ...clone(created),
      spec: exported('x', { scope: 'Namespaced', informerScope: 'Namespaced' }).spec,
    };
    await rejected(old.update(changed), 'informerScope is immutable');
    // Stored as v1alpha2 (conversion None): what v1alpha2 lacks is pruned, as upstream's is.
    expect(created['spec']).toMatchObject({ informerScope: 'Cluster' });
    expect(created['spec']).not.toHaveProperty('versions');
  });
});
