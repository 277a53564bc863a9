// The origin a client reached this backend at, for the login URL in /api/exports (differences.md
// item 9): https when the server speaks TLS, or when the configured public URL (the OIDC
// callback's) names the same host, since a TLS-terminating proxy in front looks like plain HTTP.
import type { FastifyRequest } from 'fastify';
import { BackendError } from '../errors.ts';
import type { FrontDoorConfig } from './deps.ts';

const hostHeader = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function publicOrigin(
  req: FastifyRequest,
  config: Pick<FrontDoorConfig, 'tls' | 'ownOrigin'>,
): string {
  const host = req.headers.host ?? '';
  if (!hostHeader.test(host)) {
    throw new BackendError('BadRequest', 'Invalid Host header', { details: 'want host[:port]' });
  }
  const own = new URL(config.ownOrigin);
  if (own.host === host.toLowerCase()) return own.origin;
  return `${config.tls ? 'https' : 'http'}://${host}`;
}
