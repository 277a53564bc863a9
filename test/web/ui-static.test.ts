// The web UI against a fake API: web/dist is served by a tiny node:http server that also answers
// the backend routes with fixed JSON, and headless Chromium walks through login, catalog, the
// hand-off to `kubectl bind`, downloads, one-click apply and error display. This checks the UI's
// rendering and its side of the protocol (protocol.md §6.5/§6.6); the real backend is tested elsewhere.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshot, type RecordedPage } from '../harness/browser.ts';
import { repoRoot } from '../harness/tools.ts';

const dist = join(repoRoot, 'web', 'dist');

function ensureBuilt(): void {
  if (existsSync(join(dist, 'index.html'))) return;
  execFileSync('npm', ['run', 'build:web'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: {
      ...process.env,
      // vitest sets NODE_ENV=test, which would make Vite emit Vue's development build.
      NODE_ENV: 'production',
      PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    },
  });
}

// ---- fixtures -------------------------------------------------------------------------------

const info = {
  providerPrettyName: 'Wild West Provider',
  version: 'v0.8.1',
  developmentIssuer: true,
};

const templates = {
  apiVersion: 'kube-bind.io/v1alpha2',
  kind: 'APIServiceExportTemplateList',
  metadata: {},
  items: [
    {
      metadata: { name: 'cowboys', creationTimestamp: '2025-01-01T00:00:00Z' },
      spec: {
        description: 'Cowboys of the wild west',
        scope: 'Namespaced',
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        permissionClaims: [
          { resource: 'secrets', selector: { labelSelector: { matchLabels: { app: 'cowboy' } } } },
          {
            resource: 'configmaps',
            selector: {
              references: [
                {
                  group: 'wildwest.dev',
                  resource: 'cowboys',
                  jsonPath: { name: 'spec.configRef.name' },
                },
              ],
            },
          },
        ],
        namespaces: [{ name: 'wild-west' }],
      },
    },
    {
      metadata: { name: 'sheriffs' },
      spec: {
        scope: 'Cluster',
        resources: [{ group: 'wildwest.dev', resource: 'sheriffs', versions: ['v1', 'v2'] }],
      },
    },
  ],
};

const collections = {
  metadata: {},
  items: [
    {
      metadata: { name: 'frontier' },
      spec: {
        description: 'Everything for the frontier',
        templates: [{ name: 'cowboys' }, { name: 'sheriffs' }, { name: 'horses' }],
      },
    },
  ],
};

const providerKubeconfig =
  'apiVersion: v1\nkind: Config\nclusters:\n- name: provider\n  cluster:\n    server: https://provider.example:6443\n';

/** The BindingResponse, with a `?` (JSONPath) and non-ASCII text, so base64 must be URL-safe UTF-8. */
function bindResponseText(name: string, template: string, uiFlow: boolean): string {
  return JSON.stringify({
    kind: 'BindingResponse',
    apiVersion: 'kube-bind.io/v1alpha2',
    authentication: { oauth2CodeGrant: { sid: 'SID', id: 'https://idp.example/user' } },
    kubeconfig: Buffer.from(providerKubeconfig).toString('base64'),
    requests: [
      {
        kind: 'APIServiceExportRequest',
        apiVersion: 'kube-bind.io/v1alpha2',
        metadata: { name },
        spec: {
          parameters: { greeting: 'Grüße aus dem Wilden Westen ✓ 🤠 — wer?>' },
          resources: [{ group: 'wildwest.dev', resource: template, versions: ['v1alpha1'] }],
          permissionClaims: [
            {
              resource: 'configmaps',
              selector: {
                references: [
                  {
                    resource: template,
                    group: 'wildwest.dev',
                    jsonPath: { name: 'spec.configRef?.name' },
                  },
                ],
              },
            },
          ],
          schemaUpdatePolicy: 'Never',
        },
        status: {},
      },
    ],
    providerNamespace: 'cluster-3sfnr30g90epn',
    ...(uiFlow ? { bindingName: name } : {}),
  });
}

// ---- the fake backend -----------------------------------------------------------------------

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Fake {
  url: string;
  requests: Recorded[];
  /** The exact text of each /api/bind response. */
  bindResponses: string[];
  fail: { collections: boolean };
  close(): Promise<void>;
}

function errorBody(message: string, code: string, details?: string): string {
  return `${JSON.stringify({ kind: 'Error', apiVersion: 'kube-bind.io/v1alpha2', message, code, ...(details && { details }) })}\n`;
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

const mime: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function serveStatic(path: string, res: ServerResponse): void {
  const file = normalize(join(dist, decodeURIComponent(path)));
  const inside = file.startsWith(dist + sep);
  if (inside && existsSync(file) && extname(file) !== '') {
    res.writeHead(200, { 'Content-Type': mime[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  } else if (path.includes('/assets/')) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
  } else {
    res.writeHead(200, { 'Content-Type': mime['.html'], 'Cache-Control': 'no-cache' });
    res.end(readFileSync(join(dist, 'index.html')));
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

async function startFake(): Promise<Fake> {
  const fake: Fake = {
    url: '',
    requests: [],
    bindResponses: [],
    fail: { collections: false },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = Buffer.concat(chunks).toString('utf8');
      const query = Object.fromEntries(url.searchParams);
      if (url.pathname.startsWith('/api/')) {
        fake.requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query,
          headers: req.headers,
          body,
        });
      }
      const json = (status: number, text: string): void => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
        res.end(text);
      };
      const cookieName = query['cluster_id'] ? `kube-bind-${query['cluster_id']}` : 'kube-bind';
      const loggedIn = cookies(req).has(cookieName);
      const route = `${req.method ?? ''} ${url.pathname}`;
      const protectedRoutes = [
        'GET /api/ping',
        'GET /api/templates',
        'GET /api/collections',
        'POST /api/bind',
        'GET /api/consumer-status',
        'POST /api/apply-binding',
      ];
      if (protectedRoutes.includes(route) && !loggedIn) {
        json(
          401,
          errorBody('Authentication required', 'AUTHENTICATION_FAILED', 'No valid session found'),
        );
        return;
      }
      if (req.method === 'POST' && req.headers['x-requested-with'] !== 'kube-bind-ui') {
        json(403, errorBody('Missing X-Requested-With', 'AUTHORIZATION_FAILED'));
        return;
      }
      switch (route) {
        case 'GET /api/info': {
          json(200, JSON.stringify(info));
          return;
        }
        case 'GET /api/authorize': {
          const target = new URL(query['redirect_url'] ?? '/');
          if (query['cluster_id']) target.searchParams.set('cluster_id', query['cluster_id']);
          target.searchParams.set('session_id', query['session_id'] ?? '');
          res.writeHead(302, {
            Location: target.toString(),
            'Set-Cookie': `${cookieName}=session-${query['session_id'] ?? ''}; Path=/; HttpOnly; SameSite=Lax`,
          });
          res.end();
          return;
        }
        case 'POST /api/logout':
          res.writeHead(200, {
            'Set-Cookie': `${cookieName}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
          });
          res.end('logged out');
          return;
        case 'GET /api/ping':
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('pong');
          return;
        case 'GET /api/templates': {
          json(200, `${JSON.stringify(templates)}\n`);
          return;
        }
        case 'GET /api/collections':
          if (fake.fail.collections) {
            json(
              500,
              errorBody('Failed to retrieve collections', 'INTERNAL_ERROR', 'etcd is on fire'),
            );
            return;
          }
          {
            json(200, `${JSON.stringify(collections)}\n`);
            return;
          }
        case 'GET /api/consumer-status': {
          json(
            200,
            JSON.stringify({
              connected: true,
              namespace: 'cluster-3sfnr30g90epn',
              exports: ['cowboys'],
            }),
          );
          return;
        }
        case 'POST /api/bind': {
          const request = JSON.parse(body) as {
            metadata: { name: string };
            spec: { templateRef: { name: string }; clusterIdentity: { identity: string } };
          };
          const text = bindResponseText(
            request.metadata.name,
            request.spec.templateRef.name,
            request.spec.clusterIdentity.identity === 'ui-identity',
          );
          fake.bindResponses.push(text);
          json(200, text);
          return;
        }
        case 'POST /api/apply-binding': {
          json(
            200,
            JSON.stringify({
              konnectorDeployed: true,
              bundleCreated: true,
              message: 'Konnector and binding bundle applied successfully',
            }),
          );
          return;
        }
        case 'GET /api/konnector-manifests':
          res.writeHead(200, {
            'Content-Type': 'text/yaml',
            'Content-Disposition': 'attachment; filename=konnector.yaml',
          });
          res.end('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-bind\n');
          return;
        default:
          if (url.pathname.startsWith('/api/')) {
            json(404, errorBody('Not found', 'RESOURCE_NOT_FOUND'));
            return;
          }
          serveStatic(url.pathname, res);
      }
    });
  });
  fake.url = await listen(server);
  return fake;
}

/** Stands in for the loopback listener of `kubectl bind`. */
async function startCliListener(): Promise<{ url: string; hits: URL[]; close(): Promise<void> }> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>kubectl bind got it</h1>');
  });
  const url = await listen(server);
  return { url, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ---- the tests ------------------------------------------------------------------------------

/** Console errors other than Chromium's notes about 4xx/5xx responses the test asked for. */
function unexpectedConsoleErrors(p: RecordedPage): string[] {
  return p.consoleErrors.filter((e) => !e.startsWith('Failed to load resource'));
}

function lastRequest(fake: Fake, method: string, path: string): Recorded {
  const found = fake.requests.filter((r) => r.method === method && r.path === path).at(-1);
  if (!found) throw new Error(`no ${method} ${path} request`);
  return found;
}

/** Decodes URL-safe base64 strictly: only that alphabet, `=` padding to a multiple of 4. */
function decodeUrlSafePadded(text: string): Buffer {
  expect(text).toMatch(/^[A-Za-z0-9_-]*={0,2}$/);
  expect(text.length % 4).toBe(0);
  return Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
}

describe('web UI against a fake API', () => {
  let browser: Browser;
  let fake: Fake;
  const pages: RecordedPage[] = [];

  async function open(loggedIn: boolean): Promise<RecordedPage> {
    const p = await newPage(browser);
    pages.push(p);
    if (loggedIn)
      await p.context.addCookies([{ name: 'kube-bind', value: 'session-x', url: fake.url }]);
    return p;
  }

  beforeAll(async () => {
    ensureBuilt();
    fake = await startFake();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => undefined);
    await browser.close();
    await fake.close();
  });

  it('shows the login page with the development banner, then logs in to the catalog', async () => {
    const p = await open(false);
    const { page } = p;
    await page.goto(fake.url);
    await expect.poll(() => page.getByTestId('login-page').isVisible()).toBe(true);
    expect(await page.getByTestId('dev-banner').textContent()).toContain(
      'Development login: anyone who can reach this backend is logged in as a fixed user — not for production',
    );
    expect(await page.getByTestId('provider-name').textContent()).toBe('Wild West Provider');
    await screenshot(page, 'ui-login');

    await page.getByTestId('login-button').click();
    await page.getByTestId('catalog').waitFor();
    const authorize = lastRequest(fake, 'GET', '/api/authorize');
    expect(authorize.query).toMatchObject({
      redirect_url: `${fake.url}/`,
      client_type: 'ui',
      cluster_id: '',
      consumer_id: '',
    });
    expect(authorize.query['session_id']).toMatch(/^[A-Z2-7]{26}$/);

    const cowboys = page.getByTestId('template-cowboys');
    await cowboys.waitFor();
    const resources = await cowboys.getByTestId('template-resources').innerText();
    expect(resources).toContain('wildwest.dev');
    expect(resources).toContain('cowboys');
    expect(resources).toContain('v1alpha1');
    expect(await cowboys.getByTestId('template-scope').textContent()).toBe('Namespaced');
    const claims = await cowboys.getByTestId('template-claims').innerText();
    expect(claims).toContain('secrets');
    expect(claims).toContain('labels: app=cowboy');
    expect(claims).toContain('referenced from cowboys.wildwest.dev (name at spec.configRef.name)');
    expect(await cowboys.getByTestId('template-namespaces').innerText()).toContain('wild-west');
    expect(await cowboys.getByTestId('template-description').innerText()).toBe(
      'Cowboys of the wild west',
    );
    expect(
      await page.getByTestId('template-sheriffs').getByTestId('template-scope').textContent(),
    ).toBe('Cluster');
    const collection = await page.getByTestId('collection-frontier').innerText();
    expect(collection).toContain('Everything for the frontier');
    expect(collection).toMatch(/cowboys[\s\S]*sheriffs[\s\S]*horses \(not available\)/);
    await expect.poll(() => page.getByTestId('consumer-status').innerText()).toContain('Connected');
    expect(await page.getByTestId('dev-banner').isVisible()).toBe(true);
    await screenshot(page, 'ui-catalog');
    expect(unexpectedConsoleErrors(p)).toEqual([]);
  });

  it('hands the binding to kubectl bind with a URL-safe base64 binding_response', async () => {
    const cli = await startCliListener();
    try {
      const p = await open(false);
      const { page } = p;
      // Hold the navigation to the CLI until the hand-off page has been captured.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route(`${cli.url}/**`, async (route) => {
        await released;
        await route.continue();
      });
      const redirectUrl = `${cli.url}/callback`;
      const start = new URL(fake.url);
      start.search = new URLSearchParams({
        session_id: 'CLISESSION0000000000000000',
        redirect_url: redirectUrl,
        cluster_id: 'kcp-1',
        consumer_id: 'consumer-uid-1',
      }).toString();
      await page.goto(start.toString());

      // No cookie yet: the page goes to the login on its own and comes back.
      await page.getByTestId('cli-waiting').waitFor();
      const authorize = lastRequest(fake, 'GET', '/api/authorize');
      expect(authorize.query).toEqual({
        session_id: 'CLISESSION0000000000000000',
        redirect_url: `${fake.url}/`,
        cluster_id: 'kcp-1',
        client_type: 'ui',
        consumer_id: 'consumer-uid-1',
      });
      // Back from the login with only cluster_id and session_id, the rest restored.
      expect(new URL(page.url()).searchParams.get('redirect_url')).toBe(redirectUrl);
      // The catalog's request may still be on its way when the waiting banner shows.
      await expect
        .poll(() => lastRequest(fake, 'GET', '/api/templates').query, { timeout: 10_000 })
        .toEqual({
          cluster_id: 'kcp-1',
          consumer_id: 'consumer-uid-1',
        });

      await page.getByTestId('bind-cowboys').click();
      await page.getByTestId('bind-page').waitFor();
      expect(await page.getByTestId('option-cli').isChecked()).toBe(true);
      expect(await page.getByTestId('binding-name').inputValue()).toBe('cowboys');
      await page.getByTestId('binding-name').fill('My_Cowboys');
      expect(await page.getByTestId('binding-name-error').innerText()).toContain('lower-case');
      await page.getByTestId('bind-submit').click();
      expect(fake.requests.filter((r) => r.path === '/api/bind')).toHaveLength(0);
      await screenshot(page, 'ui-bind-invalid-name');
      await page.getByTestId('binding-name').fill('my-cowboys');
      expect(await page.getByTestId('binding-name-error').count()).toBe(0);
      await page.getByTestId('bind-submit').click();

      await page.getByTestId('handoff-page').waitFor();
      expect(await page.getByTestId('handoff-page').innerText()).toContain(
        'Handing the binding to kubectl bind…',
      );
      await screenshot(page, 'ui-handoff');
      release();
      await expect.poll(() => cli.hits.length, { timeout: 10_000 }).toBe(1);

      const bind = lastRequest(fake, 'POST', '/api/bind');
      expect(bind.query).toEqual({ cluster_id: 'kcp-1', consumer_id: 'consumer-uid-1' });
      expect(bind.headers['x-requested-with']).toBe('kube-bind-ui');
      expect(JSON.parse(bind.body)).toEqual({
        metadata: { name: 'my-cowboys' },
        spec: {
          templateRef: { name: 'cowboys' },
          clusterIdentity: { identity: 'consumer-uid-1' },
          author: 'web-ui',
        },
      });

      const hit = cli.hits[0];
      expect(hit?.pathname).toBe('/callback');
      expect(hit?.searchParams.get('session_id')).toBe('CLISESSION0000000000000000');
      expect(hit?.searchParams.get('consumer_id')).toBe('consumer-uid-1');
      const sent = fake.bindResponses.at(-1) ?? '';
      expect(sent).toContain('?');
      expect(sent).toContain('ü');
      // Standard base64 of this JSON has '+' or '/': btoa-style encoding would break the CLI.
      expect(Buffer.from(sent).toString('base64')).toMatch(/[+/]/);
      const decoded = decodeUrlSafePadded(hit?.searchParams.get('binding_response') ?? '');
      expect(decoded.toString('utf8')).toBe(sent);
      expect(JSON.parse(decoded.toString('utf8'))).toEqual(JSON.parse(sent));
      await page.waitForURL(`${redirectUrl}?**`);
      expect(unexpectedConsoleErrors(p)).toEqual([]);
    } finally {
      await cli.close();
    }
  });

  it('binds in the browser and offers the downloads, then logs out', async () => {
    const p = await open(true);
    const { page } = p;
    await page.goto(`${fake.url}/resources`);
    await page.getByTestId('bind-sheriffs').click();
    await page.getByTestId('bind-page').waitFor();
    expect(await page.getByTestId('option-cli').count()).toBe(0);
    expect(await page.getByTestId('option-download').isChecked()).toBe(true);
    await page.getByTestId('binding-name').fill('my-sheriffs');
    await page.getByTestId('bind-submit').click();
    await page.getByTestId('bind-result').waitFor();

    const bind = lastRequest(fake, 'POST', '/api/bind');
    expect(bind.query).toEqual({});
    expect(JSON.parse(bind.body)).toMatchObject({
      metadata: { name: 'my-sheriffs' },
      spec: { templateRef: { name: 'sheriffs' }, clusterIdentity: { identity: 'ui-identity' } },
    });
    expect(await page.getByTestId('result-provider-namespace').innerText()).toBe(
      'cluster-3sfnr30g90epn',
    );
    for (const [testid, file] of [
      ['download-kubeconfig', 'kubeconfig.yaml'],
      ['download-export', 'apiservice-export.yaml'],
      ['download-bundle', 'binding-bundle.yaml'],
      ['download-konnector', 'konnector.yaml'],
    ] as const) {
      expect(await page.getByTestId(testid).getAttribute('download'), testid).toBe(file);
    }
    expect(await page.getByTestId('download-konnector').getAttribute('href')).toBe(
      '/api/konnector-manifests',
    );
    await screenshot(page, 'ui-download');

    const read = async (testid: string): Promise<string> => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(testid).click(),
      ]);
      expect(download.suggestedFilename()).toBe(
        await page.getByTestId(testid).getAttribute('download'),
      );
      return readFileSync(await download.path(), 'utf8');
    };
    const bundle = await read('download-bundle');
    expect(bundle).toContain('kind: APIServiceBindingBundle');
    expect(bundle).toContain('name: kubeconfig-my-sheriffs');
    expect(bundle).toContain(`kubeconfig: ${Buffer.from(providerKubeconfig).toString('base64')}`);
    expect(await read('download-kubeconfig')).toBe(providerKubeconfig);
    expect(await read('download-export')).toContain('spec.configRef?.name');

    await page.getByTestId('logout-button').click();
    await page.getByTestId('login-page').waitFor();
    expect(lastRequest(fake, 'POST', '/api/logout').headers['x-requested-with']).toBe(
      'kube-bind-ui',
    );
    expect(unexpectedConsoleErrors(p)).toEqual([]);
  });

  it('applies the binding to a cluster with a pasted kubeconfig', async () => {
    const p = await open(true);
    const { page } = p;
    await page.goto(fake.url);
    await page.getByTestId('bind-cowboys').click();
    await page.getByTestId('option-apply').check();
    const consumerKubeconfig = 'apiVersion: v1\nkind: Config\n# Verbraucher ✓\n';
    await page.getByTestId('apply-kubeconfig-text').fill(consumerKubeconfig);
    await page.getByTestId('binding-name').fill('cowboys-here');
    await page.getByTestId('bind-submit').click();
    await page.getByTestId('apply-result').waitFor();
    expect(await page.getByTestId('apply-result').innerText()).toContain(
      'Konnector and binding bundle applied successfully',
    );
    const apply = lastRequest(fake, 'POST', '/api/apply-binding');
    expect(apply.headers['x-requested-with']).toBe('kube-bind-ui');
    expect(JSON.parse(apply.body)).toEqual({
      consumerKubeconfig: Buffer.from(consumerKubeconfig).toString('base64'),
      bindingName: 'cowboys-here',
    });
    await screenshot(page, 'ui-apply');
    expect(unexpectedConsoleErrors(p)).toEqual([]);
  });

  it('shows the backend error message instead of a blank page', async () => {
    fake.fail.collections = true;
    try {
      const p = await open(true);
      const { page } = p;
      await page.goto(fake.url);
      const error = page.getByTestId('error-message');
      await error.waitFor();
      expect(await error.innerText()).toContain('Failed to retrieve collections: etcd is on fire');
      // The rest of the catalog still renders.
      await page.getByTestId('template-cowboys').waitFor();
      await screenshot(page, 'ui-error');
      fake.fail.collections = false;
      await page.getByTestId('retry-button').click();
      await page.getByTestId('collection-frontier').waitFor();
      expect(await page.getByTestId('error-message').count()).toBe(0);
    } finally {
      fake.fail.collections = false;
    }
  });
});
