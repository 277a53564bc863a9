import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ApiError,
  discoverProvider,
  httpError,
  listCatalog,
  maxAnswerBytes,
  networkReason,
} from './client.ts';
import { CommandError } from './errors.ts';

/** An in-process HTTP server answering `reply`; records what it was asked. */
async function server(reply: (path: string) => { status: number; body: string }) {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const srv = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const { status, body } = reply(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    srv.close();
    srv.closeAllConnections();
  });
  return { origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

const entry = (url: string) => ({
  url,
  accessToken: 'tok',
  tokenType: 'Bearer',
  expiresAt: '2099-01-01T00:00:00Z',
});

describe('discoverProvider', () => {
  it('returns the first OAuth2CodeGrant login URL', async () => {
    const { origin } = await server(() => ({
      status: 200,
      body: JSON.stringify({
        kind: 'BindingProvider',
        providerPrettyName: 'Wild West',
        version: 'v0.8.1',
        authenticationMethods: [
          { method: 'Other' },
          {
            method: 'OAuth2CodeGrant',
            oauth2CodeGrant: { authenticatedURL: '/api/authorize?x=1' },
          },
        ],
      }),
    }));
    const provider = await discoverProvider(new URL(`${origin}/api/exports`));
    expect(provider).toEqual({
      prettyName: 'Wild West',
      version: 'v0.8.1',
      authenticatedUrl: new URL(`${origin}/api/authorize?x=1`),
    });
  });

  it('says when the provider offers no usable login, or is not a backend', async () => {
    const { origin } = await server((path) =>
      path.startsWith('/api/exports')
        ? { status: 200, body: '{"authenticationMethods":[{"method":"OAuth2CodeGrant"}]}' }
        : { status: 200, body: '<html>' },
    );
    await expect(discoverProvider(new URL(`${origin}/api/exports`))).rejects.toThrow(
      'offers no login this CLI supports',
    );
    await expect(discoverProvider(new URL(`${origin}/x`))).rejects.toThrow(
      'the answer is not JSON (is this a kube-bind backend?)',
    );
  });
});

describe('listCatalog', () => {
  it('sends the token, user agent, Accept and the cluster of the login', async () => {
    const { origin, seen } = await server(() => ({ status: 200, body: '{"items":[]}' }));
    expect(await listCatalog({ ...entry(origin), cluster: 'c1' }, 'templates')).toEqual({
      items: [],
    });
    expect(seen[0]?.url).toBe('/api/templates?cluster_id=c1');
    expect(seen[0]?.headers).toMatchObject({
      authorization: 'Bearer tok',
      'user-agent': 'kubectl-bind-cli',
      accept: 'application/json',
    });
  });

  it('turns an error envelope into one clear line', async () => {
    const { origin } = await server(() => ({
      status: 403,
      body: JSON.stringify({
        kind: 'Error',
        apiVersion: 'kube-bind.io/v1alpha2',
        message: 'Not allowed.',
        code: 'AUTHORIZATION_FAILED',
        details: 'ask the\nprovider',
      }),
    }));
    const err = await listCatalog(entry(origin), 'collections').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe(
      `listing collections at ${origin} failed: Not allowed: ask the provider (HTTP 403 Forbidden, AUTHORIZATION_FAILED)`,
    );
  });

  it('refuses an answer larger than it reads, without holding it', async () => {
    const { origin } = await server(() => ({
      status: 200,
      body: `[${'"x",'.repeat(maxAnswerBytes / 4)}"x"]`,
    }));
    await expect(listCatalog(entry(origin), 'templates')).rejects.toThrow(
      new CommandError(
        `listing templates at ${origin}: the answer is larger than 16 MiB (is this a kube-bind backend?)`,
      ),
    );
  });

  it('says that the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const err = await listCatalog(entry(url), 'templates').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toBe(
      `cannot reach ${url}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const blocked = await listCatalog(entry('http://127.0.0.1:1'), 'templates').catch(
      (e: unknown) => e,
    );
    expect((blocked as Error).message).toContain('fetch refuses to connect to this port');
  });
});

describe('httpError', () => {
  const url = new URL('http://h/api/templates');
  it('asks to log in again on 401', () => {
    const body =
      '{"kind":"Error","message":"Authentication required","code":"AUTHENTICATION_FAILED"}';
    expect(
      httpError(401, 'Unauthorized', body, 'listing templates', url, {
        ...entry('http://h'),
        cluster: 'c',
      }).message,
    ).toBe(
      'listing templates at http://h failed: Authentication required (HTTP 401 Unauthorized, AUTHENTICATION_FAILED); run "kubectl bind login c@http://h" again',
    );
  });

  it('quotes a body that is not an envelope', () => {
    expect(httpError(502, 'Bad Gateway', '<h1>oops</h1>\n', 'x', url).message).toBe(
      'x at http://h failed: HTTP 502 Bad Gateway: <h1>oops</h1>',
    );
    expect(httpError(500, '', '', 'x', url).message).toBe('x at http://h failed: HTTP 500');
  });
});

describe('networkReason', () => {
  it('reads the cause of a failed fetch', () => {
    const err = new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND x') });
    expect(networkReason(err)).toBe('getaddrinfo ENOTFOUND x');
    const timeout = new DOMException('aborted', 'TimeoutError');
    expect(networkReason(timeout)).toBe('no answer within 60s');
  });
});
