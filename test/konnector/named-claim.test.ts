// Issue 16, item 8(d), end to end: a permission claim that names its secret. The konnector runs
// on a private consumer cluster as its own service account, with only the base role and the
// per-binding role `kubectl bind` grants; the shared kube-apiserver is the provider. The named
// secret is synced, and the konnector's rights on the consumer's secrets are that name only
// (SubjectAccessReview matrix): before, the claim granted every verb on every Secret. Issue 17:
// claimed objects flow both ways, so the name may be written (update, delete) and secrets
// created (RBAC cannot restrict `create` by name); reading or writing any other name stays refused.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { PatchType, type KubeClient } from '../../src/kube/client.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Namespaces, Secrets, SubjectAccessReviews } from '../../src/kube/resources.ts';
import {
  allowToBind,
  controllersFor,
  cowboysTemplate,
  followUntil,
  frontDoor,
} from '../backend/http/front-door.ts';
import { deleteNamespacesAfterTest } from '../harness/consumers.ts';
import {
  clientFor,
  controlPlane,
  eventually,
  kubeAdmin,
  uniqueSuffix,
} from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { konnectorServiceAccount, startKonnector } from '../harness/konnector.ts';
import { kubectlBind, run } from '../kubectl-bind/run.ts';

let consumerCluster: KubeCluster;
let dir: string;

beforeAll(ensureKubeBindCRDs);
beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'named-claim-'));
  consumerCluster = await startKubeCluster({ name: 'consumer-named', baseDir: dir });
}, 120_000);
afterAll(async () => {
  await consumerCluster.stop();
});

async function may(
  admin: KubeClient,
  attrs: { verb: string; resource: string; namespace?: string; name?: string },
): Promise<boolean> {
  const review = await new ResourceClient(admin, SubjectAccessReviews).create({
    spec: {
      user: 'system:serviceaccount:kube-bind:konnector',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-bind'],
      resourceAttributes: { group: '', ...attrs },
    },
  });
  return review.status?.allowed === true;
}

describe('a permission claim that names its secret', () => {
  it('syncs that secret and grants the konnector that name only', async () => {
    const admin = await kubeAdmin();
    const prefix = `nc${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
    await allowToBind(admin, { kind: 'User', name: door.user });
    const secretName = `colt-${uniqueSuffix()}`;
    // Named too, written by the provider: it comes to the consumer (issue 17).
    const issuedName = `issued-${uniqueSuffix()}`;
    const template = await cowboysTemplate(admin, {
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      permissionClaims: [
        {
          group: '',
          resource: 'secrets',
          selector: { namedResources: [{ name: secretName }, { name: issuedName }] },
        },
      ],
    });
    const identity = randomUUID();
    const contract = await controllersFor(admin, door, identity);

    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    const kubeconfig = await konnectorServiceAccount(consumer, consumerCluster, dir);
    await startKonnector({
      kubeconfig,
      logDir: dir,
      name: 'konnector-named',
      args: ['--lease-namespace=kube-bind'],
    });

    const home = mkdtempSync(join(dir, 'home-'));
    const login = kubectlBind(home, ['login', door.origin, '--skip-browser']);
    const authorize = await login.printedUrl(/\/api\/authorize\?/);
    const back = await followUntil(
      authorize.href,
      authorize.searchParams.get('redirect_url') ?? '',
    );
    expect((await fetch(back)).status).toBe(200);
    expect(await login.exited).toBe(0);
    const name = `named-${uniqueSuffix()}`;
    const bound = await run(
      home,
      [
        'apiservice',
        '--template-name',
        template,
        '--name',
        name,
        '--cluster-identity',
        identity,
        '--skip-konnector',
      ],
      { KUBECONFIG: consumerCluster.adminKubeconfigPath },
    );
    expect(bound.code, bound.stderr).toBe(0);
    await eventually(
      `binding ${name} to be Ready`,
      async () => {
        const b = await new ResourceClient(consumer, kb.APIServiceBindings).get(name);
        return b.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
          ? true
          : undefined;
      },
      { timeoutMs: 90_000 },
    );

    const ns = `dodge-${uniqueSuffix()}`;
    await new ResourceClient(consumer, Namespaces).create({ metadata: { name: ns } });
    const secrets = new ResourceClient(consumer, Secrets, ns);
    await secrets.create({ metadata: { name: secretName }, stringData: { bullets: '6' } });
    await secrets.create({ metadata: { name: 'unrelated' }, stringData: { x: 'y' } });
    const providerSecrets = new ResourceClient(admin, Secrets, `${contract}-${ns}`);
    const copy = await eventually(
      'the named secret on the provider',
      () => ignoreNotFound(providerSecrets.get(secretName)),
      { timeoutMs: 60_000 },
    );
    expect(Buffer.from(copy.data?.['bullets'] ?? '', 'base64').toString()).toBe('6');
    expect(await ignoreNotFound(providerSecrets.get('unrelated'))).toBeUndefined();

    // The provider's own named Secret reaches the consumer: the konnector creates it there with
    // `create` on secrets, and updates it by name. One it does not name stays on the provider.
    await providerSecrets.create({
      metadata: { name: issuedName, labels: { 'kube-bind.io/owner': 'provider' } },
      stringData: { cert: 'v1' },
    });
    await providerSecrets.create({
      metadata: { name: 'provider-only', labels: { 'kube-bind.io/owner': 'provider' } },
      stringData: { x: 'y' },
    });
    const issued = await eventually(
      'the provider-owned secret on the consumer',
      () => ignoreNotFound(secrets.get(issuedName)),
      { timeoutMs: 60_000 },
    );
    expect(Buffer.from(issued.data?.['cert'] ?? '', 'base64').toString()).toBe('v1');
    await providerSecrets.patch(issuedName, PatchType.merge, { stringData: { cert: 'v2' } });
    await eventually(
      'the update on the consumer',
      async () => {
        const s = await secrets.get(issuedName);
        return Buffer.from(s.data?.['cert'] ?? '', 'base64').toString() === 'v2' ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(await ignoreNotFound(secrets.get('provider-only'))).toBeUndefined();

    const matrix = {
      getNamed: await may(consumer, {
        verb: 'get',
        resource: 'secrets',
        namespace: ns,
        name: secretName,
      }),
      watchNamed: await may(consumer, { verb: 'watch', resource: 'secrets', name: secretName }),
      getOther: await may(consumer, {
        verb: 'get',
        resource: 'secrets',
        namespace: ns,
        name: 'unrelated',
      }),
      listAll: await may(consumer, { verb: 'list', resource: 'secrets' }),
      updateNamed: await may(consumer, {
        verb: 'update',
        resource: 'secrets',
        namespace: ns,
        name: secretName,
      }),
      patchNamed: await may(consumer, {
        verb: 'patch',
        resource: 'secrets',
        namespace: ns,
        name: secretName,
      }),
      deleteNamed: await may(consumer, {
        verb: 'delete',
        resource: 'secrets',
        namespace: ns,
        name: secretName,
      }),
      updateOther: await may(consumer, {
        verb: 'update',
        resource: 'secrets',
        namespace: ns,
        name: 'unrelated',
      }),
      deleteOther: await may(consumer, {
        verb: 'delete',
        resource: 'secrets',
        namespace: ns,
        name: 'unrelated',
      }),
      deleteCollection: await may(consumer, {
        verb: 'deletecollection',
        resource: 'secrets',
        namespace: ns,
      }),
      createAny: await may(consumer, { verb: 'create', resource: 'secrets', namespace: ns }),
      configmaps: await may(consumer, { verb: 'list', resource: 'configmaps' }),
      createConfigmaps: await may(consumer, {
        verb: 'create',
        resource: 'configmaps',
        namespace: ns,
      }),
    };
    expect(matrix).toEqual({
      getNamed: true,
      watchNamed: true,
      getOther: false,
      listAll: false,
      updateNamed: true,
      patchNamed: false,
      deleteNamed: true,
      updateOther: false,
      deleteOther: false,
      deleteCollection: false,
      createAny: true,
      configmaps: false,
      createConfigmaps: false,
    });
  });
});
