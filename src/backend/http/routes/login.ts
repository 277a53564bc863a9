// The login routes (docs/protocol.md §3.5–3.7): /api/authorize sends the browser to the OIDC
// provider, /api/callback finishes the login and hands the CLI its token (at its loopback
// listener) or the browser its cookie, /api/logout clears the cookie and the session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isClusterId } from '../../auth/authorize-request.ts';
import { browserNonce, loginCookieName, loginCookiePath } from '../../auth/browser-binding.ts';
import { cookieName } from '../../auth/cookies.ts';
import { LoginFailed, pendingLoginTtlMs } from '../../auth/login.ts';
import { BackendError } from '../../errors.ts';
import type { AuthorizeRequest } from '../../session/store.ts';
import type { FrontDoorDeps } from '../deps.ts';
import { noCache } from '../headers.ts';

const keys = ['redirect_url', 'session_id', 'cluster_id', 'client_type', 'consumer_id'] as const;

export function authorizeRequest(source: unknown): AuthorizeRequest {
  const from = (typeof source === 'object' && source !== null ? source : {}) as Record<
    string,
    unknown
  >;
  const request = {} as AuthorizeRequest;
  for (const key of keys) {
    const v = from[key];
    if (v !== undefined && typeof v !== 'string') {
      throw new BackendError('BadRequest', `invalid ${key}`, {
        details: `${key} must be a string`,
      });
    }
    request[key] = v ?? '';
  }
  if (request.cluster_id !== '' && !isClusterId(request.cluster_id)) {
    throw new BackendError('BadRequest', 'invalid cluster_id', {
      details: 'want lower-case letters, digits and -, at most 63 characters',
    });
  }
  return request;
}

export function loginRoutes(deps: FrontDoorDeps) {
  const { login } = deps;
  if (!login) throw new Error('BUG: login routes without a login service');
  const secure = new URL(deps.config.ownOrigin).protocol === 'https:' || deps.config.tls;
  // A fastify plugin: registers its routes (nothing to wait for).
  return (app: FastifyInstance): Promise<void> => {
    const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
      const source = req.method === 'POST' ? req.body : req.query;
      // The browser keeps its login cookie across logins; only the callback sees it.
      const nonce = browserNonce(req.cookies[loginCookieName]);
      const target = await login.start(authorizeRequest(source), nonce);
      reply.setCookie(loginCookieName, nonce, {
        path: loginCookiePath,
        httpOnly: true,
        sameSite: 'lax',
        secure,
        maxAge: Math.floor(pendingLoginTtlMs / 1000),
      });
      return reply.redirect(target.href, 302);
    };
    app.get('/api/authorize', authorize);
    app.post('/api/authorize', authorize);

    app.get('/api/callback', async (req, reply) => {
      const callbackUrl = new URL(req.url, deps.config.ownOrigin);
      try {
        const result = await login.finish(callbackUrl, req.cookies[loginCookieName]);
        if (result.kind === 'ui') {
          reply.setCookie(result.cookie.name, result.cookie.value, {
            path: '/',
            httpOnly: true,
            sameSite: 'lax',
            secure,
            expires: new Date(result.session.expiresAt),
          });
        }
        req.log.info({ subject: result.session.subject, client: result.kind }, 'logged in');
        return await reply.redirect(result.redirect.href, 302);
      } catch (err) {
        // The CLI waits at its loopback listener: tell it there, so it fails fast (protocol.md §3.6).
        if (err instanceof LoginFailed && err.request.client_type === 'cli') {
          const back = new URL(err.request.redirect_url);
          back.searchParams.set('error', err.idpError);
          back.searchParams.set('error_description', err.description);
          return reply.redirect(back.href, 302);
        }
        throw err;
      }
    });

    app.post('/api/logout', async (req, reply) => {
      const clusterId = authorizeRequest(req.query).cluster_id;
      await login.logout((name) => req.cookies[name], clusterId);
      const name = cookieName(clusterId);
      reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      return noCache(reply).type('text/plain; charset=utf-8').send('logged out');
    });
    return Promise.resolve();
  };
}
