// One mapping from the error catalogue to HTTP (docs/protocol.md §2.5): status code and the
// structured `kind: Error` body every /api route answers with, errors included, because the CLI
// decodes bodies whatever the status.
import type { ErrorCode, ErrorDocument } from '../../apis/kubebind/documents.ts';
import type { BackendErrorCode } from '../errors.ts';
import { BackendError } from '../errors.ts';
import { kubeBindAPIVersion } from '../../apis/kubebind/types.gen.ts';

const byCode: Record<BackendErrorCode, [number, ErrorCode]> = {
  BadRequest: [400, 'BAD_REQUEST'],
  Unauthenticated: [401, 'AUTHENTICATION_FAILED'],
  Forbidden: [403, 'AUTHORIZATION_FAILED'],
  NotFound: [404, 'RESOURCE_NOT_FOUND'],
  Conflict: [409, 'CONFLICT'],
  MultipleNamespaces: [409, 'CONFLICT'],
  NamespaceCollision: [409, 'CONFLICT'],
  Unavailable: [503, 'SERVICE_UNAVAILABLE'],
  TooManyRequests: [429, 'TOO_MANY_REQUESTS'],
  TokenTimeout: [503, 'SERVICE_UNAVAILABLE'],
  Timeout: [504, 'INTERNAL_ERROR'],
};

export interface HttpError {
  status: number;
  body: ErrorDocument;
}

export function errorDocument(code: ErrorCode, message: string, details?: string): ErrorDocument {
  return {
    kind: 'Error',
    apiVersion: kubeBindAPIVersion,
    message,
    code,
    ...(details ? { details } : {}),
  };
}

/** Fastify's own client errors (body too large, bad JSON, …) carry a 4xx statusCode. */
interface ClientError {
  statusCode: number;
  message: string;
}

function isClientError(err: unknown): err is ClientError {
  const status = (err as Partial<ClientError> | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The response for any error a handler threw. Unknown errors are internal: their text stays in
 * the log (under `requestId`), not in the response, as it may name internals.
 */
export function httpError(err: unknown, requestId: string): HttpError {
  if (err instanceof BackendError) {
    const [status, code] = byCode[err.code];
    return { status, body: errorDocument(code, err.message, err.details) };
  }
  if (isClientError(err)) {
    const code: ErrorCode = err.statusCode === 429 ? 'TOO_MANY_REQUESTS' : 'BAD_REQUEST';
    const message = err.statusCode === 413 ? 'Request body too large' : 'Bad request';
    return { status: err.statusCode, body: errorDocument(code, message, err.message) };
  }
  return {
    status: 500,
    body: errorDocument(
      'INTERNAL_ERROR',
      'Internal error',
      `See the backend log for request ${requestId}`,
    ),
  };
}
