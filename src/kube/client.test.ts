import { describe, expect, it, onTestFinished } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, ResponseTooLarge } from './client.ts';
import { KubeApiError } from './errors.ts';

function client(server: string): KubeClient {
  const c = new KubeClient({ server });
  onTestFinished(() => c.close());
  return c;
}

describe('KubeClient views', () => {
  it('withPath talks to another base path of the same server', () => {
    const vw = client('https://h:6443/services/apiexport/root/e/clusters/2abc').withPath(
      '/services/apiresourceschema/2abc/clusters/2abc',
    );
    expect(vw.server.toString()).toBe(
      'https://h:6443/services/apiresourceschema/2abc/clusters/2abc',
    );
  });

  it('cluster replaces the logical cluster of the base path', () => {
    expect(client('https://h/clusters/root').cluster('root:a').server.pathname).toBe(
      '/clusters/root:a',
    );
  });
});

/** A loopback server that answers every request with `body` (a hostile "API server"). */
async function hostileServer(status: number, body: () => Iterable<string>): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    void (async () => {
      for (const chunk of body()) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        if (res.destroyed) return;
      }
      res.end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `mib` MiB of one JSON string, in 64 KiB chunks, never ending in a newline. */
function* endless(mib: number): Iterable<string> {
  yield '{"kind":"Status","message":"';
  for (let i = 0; i < mib * 16; i++) yield 'x'.repeat(64 * 1024);
  yield '"}';
}

describe('KubeClient against a server that sends too much', () => {
  const capped = (server: string) => {
    const c = new KubeClient(
      { server },
      { maxResponseBytes: 2 ** 20, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    );
    onTestFinished(() => c.close());
    return c;
  };

  it('refuses a body larger than maxResponseBytes', async () => {
    const server = await hostileServer(200, () => endless(8));
    await expect(capped(server).get('/api/v1/namespaces')).rejects.toBeInstanceOf(ResponseTooLarge);
  });

  it('reads at most 64 KiB of an error body, whatever the client allows', async () => {
    // Endless for any client that reads it all (it would never return).
    const server = await hostileServer(500, () => endless(1_000_000));
    const err = await client(server)
      .get('/api/v1/namespaces')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(500);
  });

  it('refuses a watch event line longer than maxResponseBytes', async () => {
    const server = await hostileServer(200, () => endless(8));
    const events = capped(server).watch('/api/v1/namespaces', {});
    await expect(events.next()).rejects.toBeInstanceOf(ResponseTooLarge);
  });
});
