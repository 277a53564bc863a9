import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readConfig } from './config.ts';
import { authorizeUrl, discoveryUrl, login, newSessionId } from './login.ts';

describe('login URLs', () => {
  it('asks discovery at /api/exports, keeping the query', () => {
    expect(discoveryUrl(new URL('http://h:8/exports?cluster_id=x#f')).href).toBe(
      'http://h:8/api/exports?cluster_id=x',
    );
    expect(discoveryUrl(new URL('http://h:8')).href).toBe('http://h:8/api/exports');
  });

  it('sets the CLI parameters on the provider login URL, overriding its own', () => {
    const url = authorizeUrl(new URL('http://h/api/authorize?session_id=old&cluster_id=a&x=1'), {
      redirectUrl: 'http://127.0.0.1:5/callback',
      sessionId: 'NEW',
      cluster: 'b',
    });
    expect(Object.fromEntries(url.searchParams)).toEqual({
      session_id: 'NEW',
      cluster_id: 'b',
      x: '1',
      redirect_url: 'http://127.0.0.1:5/callback',
      client_type: 'cli',
    });
  });

  it('makes 26-character base32 session ids', () => {
    const ids = new Set(Array.from({ length: 50 }, newSessionId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[A-Z2-7]{26}$/);
  });
});

describe('login', () => {
  it('opens the browser, receives the token and stores it as the current server', async () => {
    // A provider whose login sends the browser straight back with a token.
    const srv = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/api/exports') {
        const authorize = `http://${req.headers.host ?? ''}/api/authorize`;
        res.writeHead(200).end(
          JSON.stringify({
            authenticationMethods: [
              { method: 'OAuth2CodeGrant', oauth2CodeGrant: { authenticatedURL: authorize } },
            ],
          }),
        );
        return;
      }
      const back = new URL(url.searchParams.get('redirect_url') ?? '');
      back.search = new URLSearchParams({
        access_token: `tok-${url.searchParams.get('session_id') ?? ''}`,
        token_type: 'Bearer',
        expires_in: '3600',
        cluster_id: url.searchParams.get('cluster_id') ?? '',
      }).toString();
      res.writeHead(302, { location: back.href }).end();
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      srv.close();
      srv.closeAllConnections();
    });
    const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const configFile = join(mkdtempSync(join(tmpdir(), 'kubectl-bind-')), 'config');
    const out: string[] = [];
    const opened: Promise<Response>[] = [];
    const now = Date.parse('2026-11-21T10:00:00Z');
    await login(
      {
        server: `${origin}/exports`,
        cluster: 'c1',
        skipBrowser: false,
        timeoutMs: 10_000,
        timeoutText: '10s',
        configFile,
      },
      {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        now: () => now,
        openBrowser: (url) => opened.push(fetch(url)),
      },
    );
    expect((await opened[0])?.status).toBe(200);
    const config = await readConfig(configFile);
    const key = `c1@${origin}`;
    expect(config.current).toBe(key);
    expect(config.servers[key]).toEqual({
      url: origin,
      cluster: 'c1',
      accessToken: expect.stringMatching(/^tok-[A-Z2-7]{26}$/) as unknown,
      tokenType: 'Bearer',
      expiresAt: '2026-11-21T11:00:00Z',
    });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(out.join('')).toContain(
      `Logged in to ${key}; the login is valid until 2026-11-21T11:00:00Z.`,
    );
  });
});
