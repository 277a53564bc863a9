// The HTTP front door (docs/protocol.md §2–3): fastify with limits on body, headers and time;
// one error handler that answers every /api error as a structured JSON error; JSON 404/405 for
// unknown /api paths and wrong methods (upstream answers those with the UI's index.html); and the
// web UI for everything else. With --frontend-disabled only the health routes exist.
import cookie from '@fastify/cookie';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { BackendError } from '../errors.ts';
import type { ServerOptions } from '../options/options.ts';
import type { FrontDoorDeps } from './deps.ts';
import { errorDocument, httpError } from './errors.ts';
import { sendJSONLine } from './headers.ts';
import { httpMetrics } from './metrics.ts';
import { RateLimiter, clientKey, type RateLimit } from './rate-limit.ts';
import { healthRoutes } from './routes/health.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { loginRoutes } from './routes/login.ts';
import { bindingRoutes } from './routes/binding.ts';
import { webUI } from './web-ui.ts';

/** Request bodies: upstream reads at most 1 MiB. */
export const bodyLimit = 1 << 20;

export interface BuildOptions {
  server: Pick<ServerOptions, 'tls'>;
  /** Only /healthz, /readyz and /metrics (--frontend-disabled). */
  frontendDisabled: boolean;
  /** Per client address on the public login routes (--login-rate-limit); absent: none. */
  loginRateLimit?: RateLimit | undefined;
  /** Milliseconds since the epoch (the rate limit's); injectable for tests. */
  clock?: { now(): number };
}

/** The public routes that store something or redeem a code: a flood must not reach them. */
const rateLimitedRoutes = new Set(['/api/authorize', '/api/callback']);

export async function buildServer(
  deps: FrontDoorDeps,
  opts: BuildOptions,
): Promise<FastifyInstance> {
  const tls = opts.server.tls;
  // Typed as fastify's logger so the instance keeps its default type (pino's Logger is one).
  const httpLog: FastifyBaseLogger = deps.log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLog,
    // Requests are counted in metrics; errors are logged by our handler (without query values).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // Slow or stuck clients must not hold connections forever.
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    keepAliveTimeout: 5_000,
    maxRequestsPerSocket: 1000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    ...(tls?.certPem && tls.keyPem && { https: { cert: tls.certPem, key: tls.keyPem } }),
  });
  // Upstream does not look at Content-Type: any body is read as JSON (the CLI sends JSON).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void app.getDefaultJsonParser('error', 'error')(req, text, done);
  });
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = httpError(err, req.id);
    if (status >= 500) req.log.error({ err, url: redactedUrl(req) }, 'request failed');
    else req.log.debug({ code: body.code, details: body.details }, 'request refused');
    return sendJSONLine(reply.code(status), body);
  });
  await app.register(cookie);
  httpMetrics(app, deps.metrics);
  if (opts.loginRateLimit && !opts.frontendDisabled) {
    limitLoginRate(app, opts.loginRateLimit, opts.clock ?? { now: () => Date.now() });
  }
  await app.register(healthRoutes(deps));
  if (!opts.frontendDisabled) {
    await app.register(discoveryRoutes(deps));
    await app.register(loginRoutes(deps));
    await app.register(bindingRoutes(deps));
    await deps.extraRoutes?.(app);
  }
  app.setNotFoundHandler(notFound(app, deps, opts.frontendDisabled));
  return app;
}

/**
 * A token bucket per client address in front of the login routes: past it, 429 with
 * Retry-After, before anything is parsed or stored. The socket's address, never a header: there
 * is no trusted proxy to believe.
 */
function limitLoginRate(app: FastifyInstance, limit: RateLimit, clock: { now(): number }): void {
  const limiter = new RateLimiter({ ...limit, clock });
  app.addHook('onRequest', async (req, reply) => {
    if (!rateLimitedRoutes.has(req.routeOptions.url ?? '')) return;
    const decision = limiter.take(clientKey(req.socket.remoteAddress));
    if (decision.allowed) return;
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new BackendError('TooManyRequests', 'Too many login requests', {
      details:
        `This address sent more than ${limit.burst} login requests at once or more than ` +
        `${limit.perMinute} a minute. Try again in ${decision.retryAfterSeconds} s.`,
    });
  });
}

/** Unknown /api paths get JSON 404, known ones with a wrong method 405; the rest is the UI. */
function notFound(app: FastifyInstance, deps: FrontDoorDeps, frontendDisabled: boolean) {
  const ui = frontendDisabled ? undefined : webUI(deps);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    if (ui && !path.startsWith('/api/') && path !== '/api') return ui(req, reply);
    const allowed = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((m) =>
      app.hasRoute({ url: path, method: m }),
    );
    if (allowed.length > 0) {
      const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
      const body = errorDocument(
        'METHOD_NOT_ALLOWED',
        `Method ${req.method} not allowed`,
        `${path} accepts ${allowed.join(', ')}`,
      );
      return sendJSONLine(reply.code(405).header('allow', allow), body);
    }
    const body = errorDocument('RESOURCE_NOT_FOUND', 'Not found', `No route ${path}`);
    return sendJSONLine(reply.code(404), body);
  };
}

/** The URL without query values, which may hold codes, states or tokens. */
export function redactedUrl(req: FastifyRequest): string {
  const [path, query] = req.url.split('?', 2);
  if (!query) return path ?? '';
  const keys = [...new URLSearchParams(query).keys()];
  return `${path ?? ''}?${keys.map((k) => `${k}=…`).join('&')}`;
}
