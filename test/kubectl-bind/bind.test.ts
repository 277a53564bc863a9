// `bin/kubectl-bind` binding for real: the front door in process (embedded issuer) with the
// backend's controllers for the consumer's contract namespace, and the shared kube-apiserver as
// both the provider and the consumer cluster. `apiservice` binds a template (and again, reusing
// everything), `--dry-run` changes nothing, failures are one clear line, and the bare
// `kubectl bind` hands over to the web UI in Chromium and binds what it sends back.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  Deployments,
  Secrets,
  ServiceAccounts,
} from '../../src/kube/resources.ts';
import {
  allowToBind,
  controllersFor,
  cowboysTemplate,
  followUntil,
  frontDoor,
  type FrontDoorUnderTest,
} from '../backend/http/front-door.ts';
import { launchBrowser, newPage, screenshot } from '../harness/browser.ts';
import { deleteNamespacesAfterTest } from '../harness/consumers.ts';
import { controlPlane, eventually, kubeAdmin, uniqueSuffix } from '../harness/context.ts';
import { holdClusterLock } from '../harness/lock.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { kubectlBind, run } from './run.ts';

beforeAll(ensureKubeBindCRDs);

interface Provider {
  admin: KubeClient;
  door: FrontDoorUnderTest;
  template: string;
  /** The consumer's identity (--cluster-identity) and its contract namespace on the provider. */
  identity: string;
  contractNamespace: string;
  /** HOME with a stored login to the door. */
  home: string;
  /** The consumer's kubeconfig, handed over as $KUBECONFIG. */
  env: Record<string, string>;
}

/**
 * A front door with its own namespace prefix, a user allowed to bind, a template, the
 * controllers for a fresh consumer identity, and `kubectl bind login` done (the test playing the
 * browser by following the redirects).
 */
async function provider(): Promise<Provider> {
  const admin = await kubeAdmin();
  const prefix = `kbt${uniqueSuffix()}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
  await allowToBind(admin, { kind: 'User', name: door.user });
  const template = await cowboysTemplate(admin);
  const identity = randomUUID();
  const contractNamespace = await controllersFor(admin, door, identity);
  const home = mkdtempSync(join(controlPlane().runDir, 'kubectl-bind-'));
  const env = { KUBECONFIG: controlPlane().kube.kubeconfigPath };

  const login = kubectlBind(home, ['login', door.origin, '--skip-browser']);
  const authorize = await login.printedUrl(/\/api\/authorize\?/);
  const back = await followUntil(authorize.href, authorize.searchParams.get('redirect_url') ?? '');
  expect((await fetch(back)).status).toBe(200);
  expect(await login.exited).toBe(0);
  // The RBAC just granted reaches the backend's access reviews a moment later.
  await eventually('the template to be listed', async () => {
    const r = await run(home, ['templates']);
    return r.code === 0 && r.stdout.includes(template) ? true : undefined;
  });
  return { admin, door, template, identity, contractNamespace, home, env };
}

/** The provider-kubeconfig Secrets in kube-bind that point at `namespace`. */
async function secretsFor(admin: KubeClient, namespace: string) {
  const { items } = await new ResourceClient(admin, Secrets, 'kube-bind').listAll();
  return items.filter((s) => {
    const text = Buffer.from(s.data?.['kubeconfig'] ?? '', 'base64').toString('utf8');
    const doc = (parse(text) ?? {}) as { contexts?: { context?: { namespace?: string } }[] };
    return doc.contexts?.some((c) => c.context?.namespace === namespace) ?? false;
  });
}

/** Deletes, when the test ends, the bindings named `names` and the Secrets for `namespace`. */
function cleanUp(admin: KubeClient, namespace: string, names: () => readonly string[]): void {
  onTestFinished(async () => {
    const bindings = new ResourceClient(admin, kb.APIServiceBindings);
    for (const name of names()) await bindings.delete(name).catch(() => undefined);
    const secrets = new ResourceClient(admin, Secrets, 'kube-bind');
    for (const s of await secretsFor(admin, namespace)) {
      await secrets.delete(s.metadata?.name ?? '').catch(() => undefined);
    }
  });
}

describe('kubectl bind apiservice and kubectl bind', () => {
  it('binds a template into the consumer cluster, and again without a change', async () => {
    const p = await provider();
    const name = `my-cowboys-${uniqueSuffix()}`;
    cleanUp(p.admin, p.contractNamespace, () => [name]);
    const args = [
      'apiservice',
      '--template-name',
      p.template,
      '--name',
      name,
      '--cluster-identity',
      p.identity,
      '--skip-konnector',
    ];

    const first = await run(p.home, args, p.env);
    expect(first.code, first.stderr).toBe(0);
    const binding = await new ResourceClient(p.admin, kb.APIServiceBindings).get(name);
    const secretName = binding.spec?.kubeconfigSecretRef.name ?? '';
    expect(secretName).toMatch(/^kubeconfig-/);
    expect(binding.spec?.kubeconfigSecretRef).toEqual({
      name: secretName,
      namespace: 'kube-bind',
      key: 'kubeconfig',
    });
    expect(binding.status?.conditions).toMatchObject([
      { type: 'Ready', status: 'False', reason: 'Pending' },
    ]);

    // The Secret holds the provider kubeconfig: the shared cluster, the contract namespace.
    const secret = await new ResourceClient(p.admin, Secrets, 'kube-bind').get(secretName);
    expect(secret.metadata?.labels).toMatchObject({ 'kube-bind.io/provider-kubeconfig': 'true' });
    const kubeconfig = parse(
      Buffer.from(secret.data?.['kubeconfig'] ?? '', 'base64').toString('utf8'),
    ) as {
      clusters: { cluster: { server: string } }[];
      contexts: { context: { namespace: string } }[];
    };
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(conn.server);
    expect(kubeconfig.contexts[0]?.context.namespace).toBe(p.contractNamespace);

    // On the provider: the request succeeded and its export exists in the contract namespace.
    const request = await new ResourceClient(
      p.admin,
      kb.APIServiceExportRequests,
      p.contractNamespace,
    ).get(name);
    expect(request.status?.phase).toBe('Succeeded');
    const exported = await new ResourceClient(
      p.admin,
      kb.APIServiceExports,
      p.contractNamespace,
    ).get(name);
    expect(exported.spec.resources).toMatchObject([{ group: 'wildwest.dev', resource: 'cowboys' }]);

    expect(first.stderr).toContain(`Created secret kube-bind/${secretName} for ${conn.server}`);
    expect(first.stderr).toContain(`Created APIServiceBinding ${name}.`);
    const lines = first.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME +PROVIDER +READY +MESSAGE +AGE$/);
    expect(lines[1]).toMatch(new RegExp(`^${name} +False +Pending +\\d+s$`));

    // Again: the same Secret, request and binding, nothing new.
    const again = await run(p.home, [...args, '-o', 'yaml'], p.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`(Reusing|Updated) secret kube-bind/${secretName} `));
    expect(again.stderr).toContain(`Reusing APIServiceBinding ${name}.`);
    expect(parse(again.stdout)).toMatchObject({
      kind: 'APIServiceBindingList',
      apiVersion: 'kube-bind.io/v1alpha2',
      items: [{ kind: 'APIServiceBinding', metadata: { name, uid: binding.metadata?.uid } }],
    });
    expect((await secretsFor(p.admin, p.contractNamespace)).map((s) => s.metadata?.name)).toEqual([
      secretName,
    ]);
    const requests = await new ResourceClient(
      p.admin,
      kb.APIServiceExportRequests,
      p.contractNamespace,
    ).list();
    expect(requests.items.map((r) => r.metadata?.name)).toEqual([name]);
    const bindings = await new ResourceClient(p.admin, kb.APIServiceBindings).list();
    expect(bindings.items.map((b) => b.metadata?.name).filter((n) => n?.startsWith(name))).toEqual([
      name,
    ]);
  });

  it('changes nothing on the cluster with --dry-run', async () => {
    const p = await provider();
    const name = `dry-cowboys-${uniqueSuffix()}`;
    cleanUp(p.admin, p.contractNamespace, () => [name]);
    const image = `example.invalid/konnector:dry-run-${uniqueSuffix()}`;
    const snapshot = async () => {
      const deployment = await ignoreNotFound(
        new ResourceClient(p.admin, Deployments, 'kube-bind').get('konnector'),
      );
      return {
        secrets: (await secretsFor(p.admin, p.contractNamespace)).map((s) => s.metadata?.name),
        binding: await ignoreNotFound(new ResourceClient(p.admin, kb.APIServiceBindings).get(name)),
        requests: (
          await new ResourceClient(p.admin, kb.APIServiceExportRequests, p.contractNamespace).list()
        ).items,
        konnectorImage: deployment?.spec?.template.spec?.containers[0]?.image === image,
      };
    };
    const before = await snapshot();
    const args = [
      'apiservice',
      '--template-name',
      p.template,
      name,
      '--cluster-identity',
      p.identity,
      '--konnector-image',
      image,
      '--dry-run',
      '--kubeconfig',
      controlPlane().kube.kubeconfigPath,
    ];
    const table = await run(p.home, args);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Dry run: nothing was changed');
    expect(table.stdout).toContain(
      `(The provider's backend prepared namespace ${p.contractNamespace} for this consumer`,
    );
    expect(table.stdout).toContain(
      '  - create secret kube-bind/kubeconfig-<random> (label kube-bind.io/provider-kubeconfig=true)',
    );
    expect(table.stdout).toContain(`  - create or update the konnector (${image})`);
    expect(table.stdout).toContain(
      `  - create APIServiceExportRequest ${name} for cowboys.wildwest.dev in namespace ${p.contractNamespace}`,
    );
    expect(table.stdout).toContain(`  - create APIServiceBinding ${name} with the kubeconfig`);

    const json = await run(p.home, [...args, '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'BindingResponse',
      apiVersion: 'kube-bind.io/v1alpha2',
      providerNamespace: p.contractNamespace,
      requests: [{ apiVersion: 'kube-bind.io/v1alpha2', metadata: { name } }],
    });
    expect(json.stderr).toContain('Dry run: nothing was changed');

    const after = await snapshot();
    expect(after).toEqual(before);
    expect(after).toEqual({ secrets: [], binding: undefined, requests: [], konnectorImage: false });
  });

  it('fails with one clear line: unknown template, a binding of another provider, bad usage', async () => {
    const p = await provider();
    const base = ['apiservice', '--cluster-identity', p.identity, '--skip-konnector'];

    const unknown = await run(
      p.home,
      [...base, '--template-name', 'no-such-template', '--name', 'x'],
      p.env,
    );
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(
      new RegExp(
        `\\nerror: binding template "no-such-template" at ${p.door.origin} failed: Failed to retrieve template.*\\(HTTP 404 Not Found, RESOURCE_NOT_FOUND\\)\\n$`,
      ),
    );

    // A binding of that name already uses another Secret: refused before anything is created.
    const name = `taken-${uniqueSuffix()}`;
    cleanUp(p.admin, p.contractNamespace, () => [name]);
    await new ResourceClient(p.admin, kb.APIServiceBindings).create({
      metadata: { name },
      spec: {
        kubeconfigSecretRef: { name: 'elsewhere', namespace: 'kube-bind', key: 'kubeconfig' },
      },
    });
    const taken = await run(
      p.home,
      [...base, '--template-name', p.template, '--name', name],
      p.env,
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      new RegExp(
        `\\nerror: APIServiceBinding ${name} already exists and is not from this provider \\(it uses secret kube-bind/elsewhere\\): choose another --name\\n$`,
      ),
    );
    expect(await secretsFor(p.admin, p.contractNamespace)).toEqual([]);
    const requests = new ResourceClient(p.admin, kb.APIServiceExportRequests, p.contractNamespace);
    expect((await requests.list()).items).toEqual([]);

    // The provider's controller refuses the request: its terminal message ends the command.
    const horses = await cowboysTemplate(p.admin, {
      resources: [{ group: 'wildwest.dev', resource: 'horses', versions: ['v1alpha1'] }],
    });
    const refusedName = `horses-${uniqueSuffix()}`;
    cleanUp(p.admin, p.contractNamespace, () => [refusedName]);
    const refused = await run(
      p.home,
      [...base, '--template-name', horses, '--name', refusedName],
      p.env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `\\nerror: the provider refused APIServiceExportRequest ${refusedName}: .*horses.*\\n$`,
      ),
    );
    expect(
      await ignoreNotFound(new ResourceClient(p.admin, kb.APIServiceBindings).get(refusedName)),
    ).toBeUndefined();

    const [noTemplate, badName, missingKubeconfig] = await Promise.all([
      run(p.home, ['apiservice', '--name', 'x']),
      run(p.home, ['apiservice', '--template-name', p.template, '--name', 'Not_A_Name']),
      run(p.home, ['apiservice', '--template-name', p.template, '--name', 'x'], {
        KUBECONFIG: join(p.home, 'missing'),
      }),
    ]);
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toBe(
      'error: --template-name is required (list them with "kubectl bind templates")\nRun "kubectl bind apiservice --help" for usage.\n',
    );
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('error: invalid name "Not_A_Name"');
    expect(missingKubeconfig).toMatchObject({
      code: 1,
      stderr: `error: no kubeconfig: none of the files in $KUBECONFIG (${join(p.home, 'missing')}) exists\n`,
    });
  });

  it('kubectl bind: the web UI in Chromium picks the template and the binding is made', async () => {
    const p = await provider();
    const name = `ui-cowboys-${uniqueSuffix()}`;
    cleanUp(p.admin, p.contractNamespace, () => [name]);
    const image = `example.invalid/konnector:ui-${uniqueSuffix()}`;
    await cleanUpKonnector(p.admin);

    const bind = kubectlBind(
      p.home,
      ['--skip-browser', '--cluster-identity', p.identity, '--konnector-image', image],
      p.env,
    );
    const url = await bind.printedUrl(/\/\?session_id=/);
    expect(url.origin).toBe(p.door.origin);
    expect(url.searchParams.get('session_id')).toMatch(/^[A-Z2-7]{26}$/);
    expect(url.searchParams.get('redirect_url')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(url.searchParams.get('consumer_id')).toBe(p.identity);
    expect(url.searchParams.has('cluster_id')).toBe(false);

    const browser = await launchBrowser();
    onTestFinished(() => browser.close());
    const { page } = await newPage(browser);
    await page.goto(url.href);
    await page.getByTestId('catalog').waitFor({ timeout: 30_000 });
    await page.getByTestId(`bind-${p.template}`).click();
    await page.getByTestId('binding-name').fill(name);
    await page.getByTestId('bind-submit').click();
    await page.getByText('The binding was received.').waitFor();
    await screenshot(page, 'kubectl-bind-ui-handed-off');
    expect(await bind.exited, bind.stderr()).toBe(0);

    expect(bind.stderr()).toContain('Received the binding from the browser.');
    const binding = await new ResourceClient(p.admin, kb.APIServiceBindings).get(name);
    const [secret] = await secretsFor(p.admin, p.contractNamespace);
    expect(binding.spec?.kubeconfigSecretRef).toEqual({
      name: secret?.metadata?.name,
      namespace: 'kube-bind',
      key: 'kubeconfig',
    });
    expect(bind.stdout()).toMatch(new RegExp(`^NAME .*\\n${name} `));
    // The konnector was deployed with the image asked for.
    const deployment = await new ResourceClient(p.admin, Deployments, 'kube-bind').get('konnector');
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(image);
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe('konnector');
  });
});

/** Deletes, when the test ends, the konnector objects that did not exist before it. */
async function cleanUpKonnector(admin: KubeClient): Promise<void> {
  // Other files deploy the same cluster-wide konnector objects; one at a time. The lock is taken
  // first, so it is released after the clean-up below (finish hooks run in reverse order).
  await holdClusterLock(admin, 'konnector');
  // Namespace kube-bind stays: other tests keep Secrets there.
  const objects: { client: ResourceClient; name: string }[] = [
    { client: new ResourceClient(admin, Deployments, 'kube-bind'), name: 'konnector' },
    { client: new ResourceClient(admin, ServiceAccounts, 'kube-bind'), name: 'konnector' },
    { client: new ResourceClient(admin, ClusterRoleBindings), name: 'kube-bind-konnector' },
    { client: new ResourceClient(admin, ClusterRoles), name: 'kube-bind-konnector' },
  ];
  const existed = await Promise.all(
    objects.map(async (o) => (await ignoreNotFound(o.client.get(o.name))) !== undefined),
  );
  onTestFinished(async () => {
    for (const [i, o] of objects.entries()) {
      if (!existed[i]) await o.client.delete(o.name).catch(() => undefined);
    }
  });
}
