// Probes and metrics, served in every mode (also with --frontend-disabled).
import type { FastifyInstance } from 'fastify';
import type { FrontDoorDeps } from '../deps.ts';
import { noCache } from '../headers.ts';

export function healthRoutes(deps: FrontDoorDeps) {
  // A fastify plugin: registers its routes (nothing to wait for).
  return (app: FastifyInstance): Promise<void> => {
    // Liveness: the process serves requests.
    app.get('/healthz', (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
    // Readiness: caches synced and the session store reachable, so a load balancer only sends
    // logins to replicas that can finish them.
    app.get('/readyz', async (_req, reply) => {
      const problems: string[] = [];
      if (!deps.binding.ready()) problems.push('caches are not synced');
      try {
        await deps.pingSessions();
      } catch (err) {
        problems.push(`session store: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (problems.length > 0) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`not ready: ${problems.join('; ')}\n`);
      }
      return reply.type('text/plain; charset=utf-8').send('ok');
    });
    app.get('/metrics', async (_req, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
    );
    return Promise.resolve();
  };
}

export function apiHealth(app: FastifyInstance): void {
  app.get('/api/healthz', (_req, reply) => noCache(reply).send(''));
}
