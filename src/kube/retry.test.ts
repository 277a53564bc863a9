import { describe, expect, it } from 'vitest';
import { apiErrorFrom } from './errors.ts';
import { retryDelay } from './retry.ts';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000 };
const noJitter = () => 0.5; // 0.8 + 0.4·0.5 = ×1.0
const status = (code: number, reason: string, retryAfter?: string) =>
  apiErrorFrom('GET', '/api/v1/pods', code, { kind: 'Status', reason, code }, retryAfter);
const netError = (code: string) => Object.assign(new Error(code), { code });

describe('retryDelay', () => {
  it('honours Retry-After on 429 for every verb, capped by the policy', () => {
    expect(retryDelay('POST', status(429, 'TooManyRequests', '2'), 1, policy, noJitter)).toBe(2000);
    expect(retryDelay('GET', status(429, 'TooManyRequests', '60'), 1, policy, noJitter)).toBe(5000);
    expect(retryDelay('GET', status(429, 'TooManyRequests'), 1, policy, noJitter)).toBe(100);
  });

  it('retries a 5xx with Retry-After for every verb, without it only idempotent verbs', () => {
    expect(retryDelay('POST', status(500, 'InternalError', '1'), 1, policy, noJitter)).toBe(1000);
    expect(retryDelay('GET', status(503, 'ServiceUnavailable'), 2, policy, noJitter)).toBe(200);
    expect(retryDelay('POST', status(503, 'ServiceUnavailable'), 1, policy, noJitter)).toBe(
      undefined,
    );
    expect(retryDelay('GET', status(500, 'InternalError'), 1, policy, noJitter)).toBeUndefined();
  });

  it('never retries answers that will not change', () => {
    for (const [code, reason] of [
      [404, 'NotFound'],
      [409, 'Conflict'],
      [422, 'Invalid'],
      [403, 'Forbidden'],
      [410, 'Expired'],
    ] as const) {
      expect(retryDelay('GET', status(code, reason), 1, policy, noJitter)).toBeUndefined();
    }
  });

  it('retries unsent requests for every verb, broken ones only when idempotent', () => {
    expect(retryDelay('POST', netError('ECONNREFUSED'), 1, policy, noJitter)).toBe(100);
    const wrapped = Object.assign(new Error('fetch failed'), { cause: netError('ENOTFOUND') });
    expect(retryDelay('PATCH', wrapped, 1, policy, noJitter)).toBe(100);
    expect(retryDelay('PUT', netError('ECONNRESET'), 3, policy, noJitter)).toBe(400);
    expect(retryDelay('POST', netError('ECONNRESET'), 1, policy, noJitter)).toBeUndefined();
    expect(retryDelay('GET', new Error('no code'), 1, policy, noJitter)).toBeUndefined();
  });

  it('gives up after maxAttempts and jitters ±20%', () => {
    expect(retryDelay('GET', netError('ECONNREFUSED'), 4, policy, noJitter)).toBeUndefined();
    expect(retryDelay('GET', netError('ECONNREFUSED'), 1, policy, () => 0)).toBe(80);
    expect(retryDelay('GET', netError('ECONNREFUSED'), 1, policy, () => 0.999)).toBe(120);
  });
});
