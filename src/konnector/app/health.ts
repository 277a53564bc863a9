// The konnector's small HTTP server: /healthz (the process runs), /readyz (the consumer caches
// are up) and /metrics (Prometheus). Upstream serves /healthz on :8090; the Deployment's
// readiness probe uses it.
import { createServer } from '../builtins.ts';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  stop(): Promise<void>;
}

export async function startHealthServer(
  address: { host: string; port: number },
  deps: { metrics: Registry; ready: () => boolean; log: Logger },
): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'method not allowed\n');
    } else if (path === '/healthz') {
      reply(200, 'ok\n');
    } else if (path === '/readyz') {
      if (deps.ready()) reply(200, 'ok\n');
      else reply(503, 'starting\n');
    } else if (path === '/metrics') {
      deps.metrics
        .metrics()
        .then((text) => reply(200, text, deps.metrics.contentType))
        .catch((err: unknown) => {
          deps.log.error({ err }, 'metrics failed');
          reply(500, 'metrics failed\n');
        });
    } else {
      reply(404, 'not found\n');
    }
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  deps.log.info({ address: `${address.host}:${port}` }, 'health server listening');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
