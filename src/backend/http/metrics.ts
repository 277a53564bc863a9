// HTTP metrics, named like the Prometheus conventions of Go HTTP servers: requests by route,
// method and status, and their latency.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

export function httpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ['route', 'method', 'code'] as const;
  const requests = new Counter({
    name: 'kube_bind_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'kube_bind_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, not the URL: unknown paths must not create a series each.
    const labels = {
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      code: String(reply.statusCode),
    };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
