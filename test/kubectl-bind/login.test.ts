// `bin/kubectl-bind` as a user runs it, against the real front door (in process, embedded
// issuer, the shared kube-apiserver): `login` with the test playing the browser (plain redirects,
// and once real Chromium) until the CLI's loopback listener is hit, the stored config file, then
// `templates` / `collections` refused (403) and allowed; and the clear failures: IdP error,
// timeout, unreachable server, unknown or expired token, bad usage.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  allowToBind,
  cowboysTemplate,
  followUntil,
  frontDoor,
} from '../backend/http/front-door.ts';
import { launchBrowser, newPage, screenshot } from '../harness/browser.ts';
import { controlPlane, eventually, kubeAdmin } from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { freePort } from '../harness/ports.ts';
import { kubectlBind, run } from './run.ts';

beforeAll(ensureKubeBindCRDs);

/** A fresh home directory (for ~/.kube-bind/config) under the run directory. */
function tempHome(): string {
  return mkdtempSync(join(controlPlane().runDir, 'kubectl-bind-'));
}

function readConfigFile(path: string): {
  apiVersion: string;
  kind: string;
  current: string;
  servers: Record<string, Record<string, string>>;
} {
  return JSON.parse(readFileSync(path, 'utf8')) as ReturnType<typeof readConfigFile>;
}

describe('kubectl bind login, templates, collections', () => {
  it('logs in through the redirects, stores the login, and lists once allowed', async () => {
    const admin = await kubeAdmin();
    const door = await frontDoor(admin);
    const template = await cowboysTemplate(admin, {
      permissionClaims: [{ resource: 'secrets', selector: { namedResources: [{ name: 'x' }] } }],
    });
    const home = tempHome();

    const before = Date.now();
    const login = kubectlBind(home, ['login', `${door.origin}/exports`, '--skip-browser']);
    const authorize = await login.printedUrl(/\/api\/authorize\?/);
    expect(authorize.origin + authorize.pathname).toBe(`${door.origin}/api/authorize`);
    const redirectUrl = authorize.searchParams.get('redirect_url') ?? '';
    expect(redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(authorize.searchParams.get('session_id')).toMatch(/^[A-Z2-7]{26}$/);
    expect(authorize.searchParams.get('client_type')).toBe('cli');
    expect(authorize.searchParams.has('cluster_id')).toBe(false);

    // The browser: the backend, the embedded issuer, the backend again, then the listener.
    const back = await followUntil(authorize.href, redirectUrl);
    const page = await fetch(back);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You are logged in.');
    expect(await login.exited).toBe(0);
    const after = Date.now();
    expect(login.stdout()).toContain(`Logged in to ${door.origin}; the login is valid until`);

    const path = join(home, '.kube-bind', 'config');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = readConfigFile(path);
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      servers: {
        [door.origin]: {
          url: door.origin,
          accessToken: back.searchParams.get('access_token'),
          tokenType: 'Bearer',
          expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
        },
      },
      current: door.origin,
    });
    const expiresIn = Number(back.searchParams.get('expires_in')) * 1000;
    const expiresAt = Date.parse(config.servers[door.origin]?.['expiresAt'] ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + expiresIn - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + expiresIn);

    // Logged in, but the provider's RBAC does not let this user bind yet.
    const denied = await run(home, ['templates']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      new RegExp(
        `^error: listing templates at ${door.origin} failed: .*HTTP 403 Forbidden, AUTHORIZATION_FAILED\\)\\n$`,
      ),
    );
    expect(denied.stderr).toContain(door.user);

    await allowToBind(admin, { kind: 'User', name: door.user });
    const table = await eventually('templates to list the template', async () => {
      const r = await run(home, ['templates']);
      return r.code === 0 && r.stdout.includes(template) ? r.stdout : undefined;
    });
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^NAME +SCOPE +RESOURCES +PERMISSION CLAIMS +AGE$/);
    expect(lines.find((l) => l.startsWith(`${template} `))).toMatch(
      new RegExp(`^${template} +Namespaced +cowboys\\.wildwest\\.dev +secrets +\\d+s$`),
    );

    const json = await run(home, ['templates', '-o', 'json', '--server', door.origin]);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as {
      kind: string;
      apiVersion: string;
      items: { kind: string; metadata: { name: string }; spec: unknown }[];
    };
    expect(list).toMatchObject({
      kind: 'APIServiceExportTemplateList',
      apiVersion: 'kube-bind.io/v1alpha2',
    });
    expect(list.items.find((i) => i.metadata.name === template)).toMatchObject({
      kind: 'APIServiceExportTemplate',
      spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
    });

    const collections = await run(home, ['collections', '-o', 'yaml']);
    expect(collections.code).toBe(0);
    expect(parse(collections.stdout)).toMatchObject({
      kind: 'CollectionList',
      apiVersion: 'kube-bind.io/v1alpha2',
    });
  });

  it('logs in to a provider cluster with Chromium as the browser', async () => {
    const door = await frontDoor(await kubeAdmin());
    const home = tempHome();
    const configFile = join(home, 'elsewhere.json');
    const login = kubectlBind(home, [
      'login',
      `${door.origin}@c1`,
      '--skip-browser',
      '--config-file',
      configFile,
    ]);
    const authorize = await login.printedUrl(/\/api\/authorize\?/);
    expect(authorize.searchParams.get('cluster_id')).toBe('c1');

    const browser = await launchBrowser();
    onTestFinished(() => browser.close());
    const tab = await newPage(browser);
    await tab.page.goto(authorize.href);
    await tab.page.getByText('You are logged in.').waitFor();
    await screenshot(tab.page, 'kubectl-bind-login');
    expect(tab.page.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?access_token=/);
    expect(await login.exited).toBe(0);

    // The cluster came back in the redirect and names the stored server.
    const key = `c1@${door.origin}`;
    expect(readConfigFile(configFile)).toMatchObject({
      current: key,
      servers: { [key]: { url: door.origin, cluster: 'c1', tokenType: 'Bearer' } },
    });
  });

  it('fails with one clear line: refused login, timeout, unreachable, stale token, bad usage', async () => {
    const door = await frontDoor(await kubeAdmin());
    const home = tempHome();

    // The IdP's refusal reaches the listener (as the backend forwards it) and ends the login.
    const refused = kubectlBind(home, ['login', door.origin, '--skip-browser']);
    const redirectUrl =
      (await refused.printedUrl(/\/api\/authorize\?/)).searchParams.get('redirect_url') ?? '';
    const page = await fetch(
      `${redirectUrl}?error=access_denied&error_description=${encodeURIComponent('The user said no')}`,
    );
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('login failed: access_denied: The user said no');

    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const configFile = join(home, 'config.json');
    const stale = (token: string, expiresAt: string, url = door.origin) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        servers: { [url]: { url, accessToken: token, tokenType: 'Bearer', expiresAt } },
        current: url,
      });
    const soon = new Date(Date.now() + 60_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(join(home, 'soon.json'), stale('abc', soon));
    writeFileSync(configFile, stale('not-a-token', later));
    writeFileSync(join(home, 'gone.json'), stale('abc', later, unreachable));

    const started = Date.now();
    const [timedOut, offline, offlineList, expiring, unknownToken, noUrl, badOutput] =
      await Promise.all([
        run(home, ['login', door.origin, '--skip-browser', '--timeout', '2s']),
        run(home, ['login', unreachable]),
        run(home, ['collections', '--config-file', join(home, 'gone.json')]),
        run(home, ['templates', '--config-file', join(home, 'soon.json')]),
        run(home, ['templates', '--config-file', configFile]),
        run(home, ['login', '--skip-browser']),
        run(home, ['templates', '-o', 'wide']),
      ]);
    expect([await refused.exited, refused.stderr()]).toEqual([
      1,
      expect.stringMatching(/\nerror: login failed: access_denied: The user said no\n$/),
    ]);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain(
      `error: timed out after 2s waiting for the browser login to ${door.origin}\n`,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(offline).toMatchObject({
      code: 1,
      stderr: `error: cannot reach ${unreachable}: connect ECONNREFUSED ${unreachable.slice(7)}\n`,
    });
    expect(offlineList).toMatchObject({
      code: 1,
      stderr: `error: cannot reach ${unreachable}: connect ECONNREFUSED ${unreachable.slice(7)}\n`,
    });
    expect(expiring).toMatchObject({ code: 1 });
    expect(expiring.stderr).toMatch(
      new RegExp(
        `^error: the login to ${door.origin} expires in less than 5 minutes .*: run "kubectl bind login ${door.origin}" again\\n$`,
      ),
    );
    expect(unknownToken).toMatchObject({ code: 1 });
    expect(unknownToken.stderr).toBe(
      `error: listing templates at ${door.origin} failed: Authentication required: No valid session found (HTTP 401 Unauthorized, AUTHENTICATION_FAILED); run "kubectl bind login ${door.origin}" again\n`,
    );
    expect(noUrl).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: login needs the provider URL: kubectl bind login <url>\nRun "kubectl bind login --help" for usage.\n',
    });
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toContain('unsupported output format "wide"');
  });
});
