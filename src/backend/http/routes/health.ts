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
    // logins to replicas that can finish them. The answer is public: it names the checks, never
    // an address or an error text (those go to the log; docs/security.md, "Smaller ones").
    app.get('/readyz', async (req, reply) => {
      const failed: string[] = [];
      if (!deps.binding.ready()) failed.push('caches');
      try {
        await deps.pingSessions();
      } catch (err) {
        failed.push('session-store');
        req.log.warn({ err }, 'readiness: the session store does not answer');
      }
      if (failed.length > 0) {
        req.log.warn({ failed }, 'not ready');
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`not ready: ${failed.join(', ')}\n`);
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
