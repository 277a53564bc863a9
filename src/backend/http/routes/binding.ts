// The protected routes (docs/protocol.md §3.10–3.16). Each first finds the session (bearer token
// or cookie, protocol.md §4.6), then asks the provider cluster's RBAC whether the user may bind (§4.3).
// Cookie-authenticated writes must come from our own UI: a cross-site page can neither read the
// answer nor, thanks to SameSite=Lax and the header check, send the cookie with a forged POST.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../binding/service.ts';
import { ConsumerClusterError } from '../../binding/apply.ts';
import { BackendError } from '../../errors.ts';
import type { FrontDoorDeps } from '../deps.ts';
import { noCache, sendJSON, sendJSONLine } from '../headers.ts';
import { authorizeRequest } from './login.ts';

/** The header our UI sends on writes; a cross-site form cannot set it. */
export const uiRequestHeader = 'x-requested-with';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

interface Query {
  clusterId: string;
  consumerId: string;
}

function query(req: FastifyRequest): Query {
  const q = authorizeRequest(req.query);
  return { clusterId: q.cluster_id, consumerId: q.consumer_id };
}

export function bindingRoutes(deps: FrontDoorDeps) {
  const { binding, login } = deps;
  if (!login) throw new Error('BUG: protected routes without a login service');

  const authenticate = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    noCache(reply);
    const { clusterId } = query(req);
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    const { session, via } = await login.authenticate({
      ...(bearer !== undefined && { bearer }),
      cookie: (name) => req.cookies[name],
      clusterId,
    });
    if (via === 'cookie' && req.method !== 'GET') checkSameOrigin(req, deps.config.ownOrigin);
    // The IdP's groups and the ones our configuration adds are told apart (authorize.ts).
    await binding.authorize(clusterId, {
      subject: session.subject,
      groups: session.groups,
      trustedGroups: deps.config.authorizationGroups,
    });
    req.user = {
      subject: session.subject,
      issuer: session.issuer,
      groups: session.groups,
      sessionId: session.sessionId,
    };
  };

  const userOf = (req: FastifyRequest): User => {
    if (!req.user) throw new Error('BUG: protected route without a user');
    return req.user;
  };

  // A fastify plugin: registers its routes (nothing to wait for).
  return (app: FastifyInstance): Promise<void> => {
    app.addHook('preHandler', authenticate);
    app.get('/api/ping', (_req, reply) => reply.type('text/plain; charset=utf-8').send('pong'));
    app.get('/api/templates', (req, reply) =>
      sendJSONLine(reply, binding.templates(query(req).clusterId)),
    );
    app.get('/api/collections', (req, reply) =>
      sendJSONLine(reply, binding.collections(query(req).clusterId)),
    );
    app.post('/api/bind', async (req, reply) => {
      const { clusterId, consumerId } = query(req);
      const signal = abortOnClose(reply);
      const response = await binding.bind(clusterId, consumerId, userOf(req), req.body, signal);
      return sendJSON(reply, response);
    });
    app.get('/api/consumer-status', async (req, reply) => {
      const signal = abortOnClose(reply);
      return sendJSON(
        reply,
        await binding.consumerStatus(query(req).clusterId, userOf(req), signal),
      );
    });
    app.post('/api/apply-binding', async (req, reply) => {
      const signal = abortOnClose(reply);
      let result;
      try {
        result = await binding.applyBinding(query(req).clusterId, userOf(req), req.body, signal);
      } catch (err) {
        // The answer is generic (apply.ts); the cause goes to the log under this request's id.
        if (err instanceof ConsumerClusterError) {
          req.log.warn(
            { err: err.cause, subject: userOf(req).subject },
            'apply-binding: the consumer cluster failed',
          );
        }
        throw err;
      }
      return sendJSON(reply, result);
    });
    return Promise.resolve();
  };
}

/** Refuses a cookie-authenticated write that did not come from this backend's own pages. */
function checkSameOrigin(req: FastifyRequest, ownOrigin: string): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const fromUI = req.headers[uiRequestHeader] === 'kube-bind-ui';
  if ((origin !== undefined && origin !== ownOrigin) || site === 'cross-site' || !fromUI) {
    throw new BackendError('Forbidden', 'Cross-site request refused', {
      details: `Writes with a session cookie must come from ${ownOrigin} with ${uiRequestHeader}: kube-bind-ui`,
    });
  }
}

/** Aborts when the client goes away before the answer, so long waits stop with it. */
function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client went away'));
  });
  return controller.signal;
}
