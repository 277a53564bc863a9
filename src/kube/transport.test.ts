import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { idleTimeoutCode, Transport } from './transport.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local HTTP server; counts the connections it accepted. */
async function serve(handler: Handler): Promise<{ url: URL; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = new URL(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
  return { url, connections: () => connections };
}

function transport(url: URL, maxConnections = 4): Transport {
  const t = new Transport(url, { server: url.toString() }, maxConnections);
  onTestFinished(() => t.close());
  return t;
}

const get = (path: string, idleTimeoutMs = 0, signal?: AbortSignal) => ({
  method: 'GET',
  path,
  headers: {},
  body: null,
  signal,
  idleTimeoutMs,
});

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('Transport', () => {
  it('sends the body with its length and reuses one connection', async () => {
    const seen: string[] = [];
    const { url, connections } = await serve((req, res) => {
      seen.push(`${req.method ?? ''} ${req.headers['content-length'] ?? '-'}`);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const t = transport(url);
    for (let i = 0; i < 3; i++) {
      const res = await t.send({ ...get('/x'), method: 'POST', body: 'héllo' });
      expect(await text(res)).toBe('ok');
    }
    expect(seen).toEqual(['POST 6', 'POST 6', 'POST 6']);
    expect(connections()).toBe(1);
  });

  it('fails a request whose server stays silent, with the idle-timeout code', async () => {
    const { url } = await serve(() => undefined);
    const err = await transport(url)
      .send(get('/silent', 200))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: idleTimeoutCode });
  });

  it('fails a body that stops arriving half-way, with the idle-timeout code', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED"');
    });
    const res = await transport(url).send(get('/watch', 200));
    await expect(text(res)).rejects.toMatchObject({ code: idleTimeoutCode });
  });

  it('does not carry a short timeout over to the next request on the same connection', async () => {
    const { url, connections } = await serve((req, res) => {
      const delay = req.url === '/slow' ? 400 : 0;
      setTimeout(() => res.end(req.url), delay);
    });
    const t = transport(url, 1);
    expect(await text(await t.send(get('/fast', 100)))).toBe('/fast');
    expect(await text(await t.send(get('/slow', 0)))).toBe('/slow');
    expect(connections()).toBe(1);
  });

  it('holds at most maxConnections open; the rest wait their turn', async () => {
    let inFlight = 0;
    let most = 0;
    const { url, connections } = await serve((_req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 50);
    });
    const t = transport(url, 2);
    const bodies = await Promise.all(
      Array.from({ length: 6 }, async () => text(await t.send(get('/'))).catch(String)),
    );
    expect(bodies).toEqual(Array(6).fill('ok'));
    expect(most).toBe(2);
    expect(connections()).toBe(2);
  });

  it('aborts a pending request when its signal aborts', async () => {
    const { url } = await serve(() => undefined);
    const ac = new AbortController();
    const pending = transport(url).send(get('/never', 0, ac.signal));
    await sleep(50);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a connection it cannot open, before sending', async () => {
    const { url } = await serve(() => undefined);
    const closed = new URL(url);
    closed.port = '1';
    await expect(transport(closed).send(get('/'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
