import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors.ts';
import { httpError } from './errors.ts';

describe('httpError', () => {
  it('maps the catalogue to upstream codes and statuses', () => {
    expect(
      httpError(
        new BackendError('Unauthenticated', 'Authentication required', { details: 'x' }),
        'r1',
      ),
    ).toEqual({
      status: 401,
      body: {
        kind: 'Error',
        apiVersion: 'kube-bind.io/v1alpha2',
        message: 'Authentication required',
        code: 'AUTHENTICATION_FAILED',
        details: 'x',
      },
    });
    expect(httpError(new BackendError('Forbidden', 'no'), 'r').status).toBe(403);
    expect(httpError(new BackendError('NotFound', 'no'), 'r').body.code).toBe('RESOURCE_NOT_FOUND');
    expect(httpError(new BackendError('BadRequest', 'no'), 'r').body).not.toHaveProperty('details');
  });

  it("keeps an unknown error's text out of the response", () => {
    const { status, body } = httpError(new Error('connect ECONNREFUSED 10.0.0.1:6443'), 'req-7');
    expect(status).toBe(500);
    expect(body.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(body)).not.toContain('10.0.0.1');
    expect(body.details).toContain('req-7');
  });

  it("reports fastify's client errors as BAD_REQUEST with their status", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(httpError(tooLarge, 'r')).toMatchObject({
      status: 413,
      body: { code: 'BAD_REQUEST', message: 'Request body too large' },
    });
  });
});
