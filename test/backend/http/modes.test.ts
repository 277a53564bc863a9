// The front door's other modes: HTTPS with --tls-cert-file/--tls-key-file (and the login URL it
// advertises), --frontend-disabled (health routes only), and the one-click apply into a consumer
// cluster with an uploaded kubeconfig.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Deployments, Namespaces, Secrets } from '../../../src/kube/resources.ts';
import { controlPlane, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { holdClusterLock } from '../../harness/lock.ts';
import { createCertificateAuthority } from '../../harness/pki.ts';
import { freePort } from '../../harness/ports.ts';
import { repoRoot } from '../../harness/tools.ts';
import { allowToBind, followUntil, frontDoor } from './front-door.ts';

beforeAll(ensureKubeBindCRDs);

describe('front door modes', () => {
  it('serves HTTPS and advertises an https login URL', async () => {
    const ca = await createCertificateAuthority('front door test CA');
    const pair = await ca.issueServing({ dns: ['localhost'], ips: ['127.0.0.1'] });
    const dir = mkdtempSync(join(controlPlane().runDir, 'tls-'));
    writeFileSync(join(dir, 'tls.crt'), pair.certPem);
    writeFileSync(join(dir, 'tls.key'), pair.keyPem);
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    const door = await frontDoor(
      await kubeAdmin(),
      [
        `--tls-cert-file=${join(dir, 'tls.crt')}`,
        `--tls-key-file=${join(dir, 'tls.key')}`,
        '--oidc-type=embedded',
        `--oidc-issuer-url=${origin}/oidc`,
        `--oidc-callback-url=${origin}/api/callback`,
        '--frontend-disabled=false',
      ],
      {},
      port,
    );
    expect(door.url).toBe(origin);
    const trusting = new Agent({ connect: { ca: ca.certPem } });
    const provider = (await (
      await undiciFetch(`${origin}/api/exports`, { dispatcher: trusting })
    ).json()) as { authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[] };
    expect(provider.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL).toBe(
      `${origin}/api/authorize`,
    );
    // Reached under another name, the URL keeps the scheme the client used.
    const viaLocalhost = (await (
      await undiciFetch(`https://localhost:${port}/api/exports`, { dispatcher: trusting })
    ).json()) as { authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[] };
    expect(viaLocalhost.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL).toBe(
      `https://localhost:${port}/api/authorize`,
    );
    await expect(fetch(`${origin}/healthz`)).rejects.toThrow();
  });

  it('with --frontend=http://… proxies the UI from a development server, not /api', async () => {
    const ui = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>dev UI at ${req.url ?? ''}</p>`);
    });
    await new Promise<void>((resolve) => ui.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => ui.close(() => resolve())));
    const address = ui.address();
    const uiPort = typeof address === 'object' && address ? address.port : 0;
    const door = await frontDoor(await kubeAdmin(), [`--frontend=http://127.0.0.1:${uiPort}`]);
    const page = await fetch(`${door.origin}/resources?x=1`);
    expect([page.status, await page.text()]).toEqual([200, '<p>dev UI at /resources?x=1</p>']);
    expect((await fetch(`${door.origin}/api/nope`)).status).toBe(404);
  });

  it('with --frontend-disabled serves only health, readiness and metrics', async () => {
    const door = await frontDoor(await kubeAdmin(), ['--frontend-disabled']);
    expect(await (await fetch(`${door.origin}/healthz`)).text()).toBe('ok');
    expect((await fetch(`${door.origin}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${door.origin}/metrics`)).text()).toContain(
      'kube_bind_http_requests_total',
    );
    for (const path of [
      '/api/exports',
      '/api/authorize',
      '/',
      '/oidc/.well-known/openid-configuration',
    ]) {
      const res = await fetch(`${door.origin}${path}`, { redirect: 'manual' });
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it('applies a binding into the consumer cluster of an uploaded kubeconfig', async () => {
    const admin = await kubeAdmin();
    const prefix = `a${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    // kubectl-bind's tests deploy the same kube-bind/konnector objects on this cluster.
    await holdClusterLock(admin, 'konnector');
    const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
    await allowToBind(admin, { kind: 'User', name: door.user });
    const authorize = new URL(`${door.origin}/api/authorize`);
    authorize.searchParams.set('redirect_url', `${door.origin}/`);
    authorize.searchParams.set('session_id', 'apply-session');
    authorize.searchParams.set('client_type', 'ui');
    const jar = new Map<string, string>();
    await followUntil(authorize.href, `${door.origin}/?`, jar);
    const headers = {
      cookie: `kube-bind=${jar.get(`${door.origin} kube-bind`) ?? ''}`,
      origin: door.origin,
      'x-requested-with': 'kube-bind-ui',
    };
    const post = (body: unknown) =>
      fetch(`${door.origin}/api/apply-binding`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });

    // The consumer here is the test cluster itself, reached with an inline-credential kubeconfig.
    const consumerKubeconfig = readFileSync(controlPlane().kube.kubeconfigPath, 'utf8');
    const name = `apply-${uniqueSuffix()}`;
    onTestFinished(async () => {
      await new ResourceClient(admin, kb.APIServiceBindingBundles)
        .delete(name)
        .catch(() => undefined);
      await new ResourceClient(admin, Secrets, 'kube-bind')
        .delete(`kubeconfig-${name}`)
        .catch(() => undefined);
    });
    const res = await post({
      consumerKubeconfig: Buffer.from(consumerKubeconfig).toString('base64'),
      bindingName: name,
    });
    const result = (await res.json()) as Record<string, unknown>;
    expect([res.status, result]).toEqual([
      200,
      {
        konnectorDeployed: expect.any(Boolean) as unknown,
        bundleCreated: true,
        message: 'Konnector and binding bundle applied successfully',
      },
    ]);
    const bundle = await new ResourceClient(admin, kb.APIServiceBindingBundles).get(name);
    expect(bundle.spec?.kubeconfigSecretRef).toEqual({
      name: `kubeconfig-${name}`,
      namespace: 'kube-bind',
      key: 'kubeconfig',
    });
    const secret = await new ResourceClient(admin, Secrets, 'kube-bind').get(`kubeconfig-${name}`);
    const provider = parse(Buffer.from(secret.data?.['kubeconfig'] ?? '', 'base64').toString()) as {
      contexts: { context: { namespace: string } }[];
    };
    expect(provider.contexts[0]?.context.namespace.startsWith(prefix)).toBe(true);
    const konnector = await new ResourceClient(admin, Deployments, 'kube-bind').get('konnector');
    // Our konnector of the backend's release (package.json's version), not upstream's.
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(konnector.spec?.template.spec?.containers[0]?.image).toBe(
      `ghcr.io/kube-bind-ts/konnector:v${version}`,
    );
    await new ResourceClient(admin, Namespaces).get('kube-bind');

    // A kubeconfig that would make the backend run a program is refused before any use.
    const exec = Buffer.from(
      consumerKubeconfig.replace(
        /users:[\s\S]*$/,
        'users:\n- name: x\n  user:\n    exec:\n      command: /bin/sh\n',
      ),
    ).toString('base64');
    const refused = await post({ consumerKubeconfig: exec, bindingName: 'exec' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { details: string }).details).toContain('"exec"');
  });
});
