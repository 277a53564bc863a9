import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  KubeApiError,
  NotFoundError,
  TooManyRequestsError,
  apiErrorFrom,
  ignoreNotFound,
} from './errors.ts';

const status = (reason: string, code: number, extra: Record<string, unknown> = {}) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason,
  code,
  message: `${reason} happened`,
  ...extra,
});

describe('apiErrorFrom', () => {
  it.each([
    ['NotFound', 404, NotFoundError],
    ['AlreadyExists', 409, AlreadyExistsError],
    ['Conflict', 409, ConflictError],
    ['Forbidden', 403, ForbiddenError],
    ['Gone', 410, GoneError],
    // A watch that is too old reports reason Expired with 410: the same relist is needed.
    ['Expired', 410, GoneError],
    ['Invalid', 422, InvalidError],
    ['TooManyRequests', 429, TooManyRequestsError],
  ] as const)('maps reason %s (%i) to its class', (reason, code, cls) => {
    const err = apiErrorFrom('GET', '/x', code, status(reason, code));
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.code).toBe(code);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(`GET /x: ${code} ${reason}: ${reason} happened`);
  });

  it('tells AlreadyExists from Conflict although both are 409', () => {
    expect(apiErrorFrom('POST', '/x', 409, status('AlreadyExists', 409))).not.toBeInstanceOf(
      ConflictError,
    );
    expect(apiErrorFrom('PUT', '/x', 409, status('Conflict', 409))).not.toBeInstanceOf(
      AlreadyExistsError,
    );
  });

  it('falls back to the status code when the body is not a Status', () => {
    const err = apiErrorFrom('GET', '/x', 404, '404 page not found');
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.status.message).toBe('404 page not found');
  });

  it('keeps field causes of an Invalid error', () => {
    const causes = [
      { reason: 'FieldValueRequired', field: 'spec.name', message: 'Required value' },
    ];
    const err = apiErrorFrom('POST', '/x', 422, status('Invalid', 422, { details: { causes } }));
    expect(err.causes).toEqual(causes);
  });

  it('uses the base class for codes without a class of their own', () => {
    const err = apiErrorFrom('GET', '/x', 500, status('InternalError', 500));
    expect(err.constructor).toBe(KubeApiError);
  });
});

describe('ignoreNotFound', () => {
  it('turns NotFound into undefined', async () => {
    const notFound = apiErrorFrom('GET', '/x', 404, status('NotFound', 404));
    await expect(ignoreNotFound(Promise.reject(notFound))).resolves.toBeUndefined();
  });
  it('passes values through and rethrows other errors', async () => {
    await expect(ignoreNotFound(Promise.resolve('v'))).resolves.toBe('v');
    const forbidden = apiErrorFrom('GET', '/x', 403, status('Forbidden', 403));
    await expect(ignoreNotFound(Promise.reject(forbidden))).rejects.toBe(forbidden);
  });
});
