// End to end, the login half (issue 6, item 7): the real dex is the IdP, real Chromium is the
// user's browser, the backend's front door runs against the real kube-apiserver, and this test
// plays `kubectl bind`'s loopback listener. Two flows: `kubectl bind login` (token to the
// listener) and `kubectl bind` without a sub-command (the web UI hands a BindingResponse to the
// listener). Each ends with the returned kubeconfig creating an APIServiceExportRequest that the
// controllers drive to Succeeded. A screenshot of each page is kept under test-artifacts/.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { BindingResponse } from '../../src/apis/kubebind/documents.ts';
import { contractNamespaceName } from '../../src/apis/kubebind/identity-hash.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import {
  allowToBind,
  controllersFor,
  cowboysTemplate,
  frontDoor,
  type FrontDoorUnderTest,
} from '../backend/http/front-door.ts';
import { launchBrowser, newPage, screenshot } from '../harness/browser.ts';
import { clientFromKubeconfig, deleteNamespacesAfterTest } from '../harness/consumers.ts';
import { controlPlane, eventually, kubeAdmin, uniqueSuffix } from '../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../harness/dex.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { freePort } from '../harness/ports.ts';

let dex: Dex;
let browser: Browser;
let backendPort: number;
/** dex's mockCallback connector logs everyone in as this user, in group `authors`. */
const dexGroup = 'authors';

beforeAll(ensureKubeBindCRDs);
beforeAll(async () => {
  backendPort = await freePort();
  dex = await startDex({
    baseDir: mkdtempSync(join(controlPlane().runDir, 'e2e-login-')),
    name: 'dex-e2e',
    clients: [defaultDexClient([`http://127.0.0.1:${backendPort}/api/callback`])],
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await dex.stop();
});

/** The CLI's loopback listener: records the first callback and answers like the CLI does. */
async function loopbackListener(): Promise<{ url: string; received: Promise<URL> }> {
  let resolve: (u: URL) => void = () => undefined;
  const received = new Promise<URL>((r) => (resolve = r));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>You can close this window.</h1>');
    resolve(url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/callback`, received };
}

async function backendWithDex(admin: KubeClient, prefix: string): Promise<FrontDoorUnderTest> {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  return frontDoor(
    admin,
    [
      `--namespace-prefix=${prefix}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=http://127.0.0.1:${backendPort}/api/callback`,
      `--oidc-allowed-groups=${dexGroup}`,
    ],
    { OIDC_CLIENT_SECRET: client.secret },
    backendPort,
  );
}

/** Creates the response's request with its kubeconfig (as the CLI does) and waits for it. */
async function createRequestAndWait(response: BindingResponse): Promise<string | undefined> {
  const kubeconfig = Buffer.from(response.kubeconfig, 'base64').toString('utf8');
  const consumer = await clientFromKubeconfig(kubeconfig);
  const namespace = response.providerNamespace ?? '';
  const [request] = response.requests;
  const name = request?.metadata.name ?? '';
  const requests = new ResourceClient(consumer, kb.APIServiceExportRequests, namespace);
  await requests.create({ metadata: { name }, spec: request?.spec ?? { resources: [] } });
  return eventually('the export request to finish', async () => {
    const r = await requests.get(name);
    return r.status?.phase === 'Pending' || !r.status?.phase ? undefined : r.status.phase;
  });
}

describe('login and bind through dex in Chromium', () => {
  it('kubectl bind login: the token reaches the loopback listener and binds', async () => {
    const admin = await kubeAdmin();
    const prefix = `l${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    await allowToBind(admin, { kind: 'Group', name: dexGroup });
    const door = await backendWithDex(admin, prefix);
    const template = await cowboysTemplate(admin, { description: 'Cowboys of the wild west' });
    const listener = await loopbackListener();

    const provider = (await (await fetch(`${door.origin}/api/exports`)).json()) as {
      authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[];
    };
    const authorize = new URL(
      provider.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL ?? '',
    );
    authorize.searchParams.set('redirect_url', listener.url);
    authorize.searchParams.set('session_id', 'E2ELOGINSESSION00000000000');
    authorize.searchParams.set('client_type', 'cli');
    const recorded = await newPage(browser);
    const { page, consoleErrors } = recorded;
    onTestFinished(() => recorded.close());
    await page.goto(authorize.href);
    const back = await listener.received;
    await screenshot(page, 'e2e-cli-login-done');
    expect(back.searchParams.get('token_type')).toBe('Bearer');
    const token = back.searchParams.get('access_token') ?? '';
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    // The browser asks the CLI's listener for a favicon; nothing else failed.
    expect(recorded.errorResponses.filter((e) => !e.endsWith('/favicon.ico'))).toEqual([]);

    const identity = randomUUID();
    await controllersFor(admin, door, identity);
    const headers = { authorization: `Bearer ${token}`, 'user-agent': 'kubectl-bind-cli' };
    await eventually('the template to be listed', async () => {
      const list = (await (await fetch(`${door.origin}/api/templates`, { headers })).json()) as {
        items?: { metadata: { name: string } }[];
      };
      return list.items?.some((t) => t.metadata.name === template) ? true : undefined;
    });
    const res = await fetch(`${door.origin}/api/bind`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: 'e2e-cowboys' },
        spec: { templateRef: { name: template }, clusterIdentity: { identity }, author: '' },
        status: {},
      }),
    });
    expect(res.status).toBe(200);
    expect(await createRequestAndWait((await res.json()) as BindingResponse)).toBe('Succeeded');
  });

  it('kubectl bind: the web UI logs in through dex and hands the binding to the listener', async () => {
    const admin = await kubeAdmin();
    const prefix = `w${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    await allowToBind(admin, { kind: 'Group', name: dexGroup });
    const door = await backendWithDex(admin, prefix);
    const template = await cowboysTemplate(admin, { description: 'Cowboys of the wild west' });
    const listener = await loopbackListener();
    const consumerId = randomUUID();
    await controllersFor(admin, door, consumerId);

    const recorded = await newPage(browser);
    const { page, consoleErrors } = recorded;
    onTestFinished(() => recorded.close());
    const start = new URL(`${door.origin}/`);
    start.searchParams.set('session_id', 'E2EUISESSION00000000000000');
    start.searchParams.set('redirect_url', listener.url);
    start.searchParams.set('consumer_id', consumerId);
    // The UI sees no session, logs in through dex (no form with the mock connector) and returns.
    await page.goto(start.href);
    await page.getByTestId('catalog').waitFor({ timeout: 30_000 });
    await page.getByTestId(`template-${template}`).waitFor();
    await screenshot(page, 'e2e-ui-catalog');
    await page.getByTestId(`bind-${template}`).click();
    await page.getByTestId('bind-page').waitFor();
    expect(await page.getByTestId('option-cli').isChecked()).toBe(true);
    await page.getByTestId('binding-name').fill('ui-cowboys');
    await screenshot(page, 'e2e-ui-bind');
    await page.getByTestId('bind-submit').click();
    const back = await listener.received;
    await screenshot(page, 'e2e-ui-handed-off');
    expect(back.searchParams.get('session_id')).toBe('E2EUISESSION00000000000000');
    expect(back.searchParams.get('consumer_id')).toBe(consumerId);
    const encoded = back.searchParams.get('binding_response') ?? '';
    // What the CLI does: Go's URL-safe, padded base64 decoder.
    expect(encoded).toMatch(/^[A-Za-z0-9_-]*={0,2}$/);
    const response = JSON.parse(
      Buffer.from(encoded, 'base64url').toString('utf8'),
    ) as BindingResponse;
    expect(response.providerNamespace).toBe(contractNamespaceName(prefix, consumerId));
    expect(response.requests[0]?.metadata.name).toBe('ui-cowboys');
    expect(await createRequestAndWait(response)).toBe('Succeeded');
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    // Only the UI's "am I logged in?" probe before the login failed (and the listener's favicon).
    expect(recorded.errorResponses.filter((e) => !e.endsWith('/favicon.ico'))).toEqual([
      `401 GET ${door.origin}/api/ping`,
    ]);
  });
});
