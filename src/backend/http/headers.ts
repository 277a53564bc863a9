// Response headers shared by several routes.
import type { FastifyReply } from 'fastify';

/** The "no-cache set" upstream sends on most /api routes (docs/protocol.md §2.4). */
export function noCache(reply: FastifyReply): FastifyReply {
  return reply.headers({
    expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
    'cache-control': 'no-cache, no-store, must-revalidate, max-age=0',
    'x-accel-expires': '0',
  });
}

/** JSON followed by a newline, as Go's json.Encoder writes it (upstream's list routes). */
export function sendJSONLine(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(`${JSON.stringify(body)}\n`);
}

/** JSON without a newline (upstream's json.Marshal routes). */
export function sendJSON(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(body));
}
