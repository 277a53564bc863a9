import { describe, expect, it } from 'vitest';
import {
  Api,
  ApiError,
  describeError,
  isAuthenticationFailure,
  parseStructuredError,
} from './api.ts';

function fakeFetch(status: number, body: string, seen: { url?: string; init?: RequestInit } = {}) {
  return (url: string, init?: RequestInit): Promise<Response> => {
    seen.url = url;
    if (init !== undefined) seen.init = init;
    return Promise.resolve(new Response(body, { status }));
  };
}

const authError =
  '{"kind":"Error","apiVersion":"kube-bind.io/v1alpha2","message":"Authentication required","code":"AUTHENTICATION_FAILED","details":"No valid session found"}\n';

describe('Api', () => {
  it('parses JSON on success', async () => {
    const api = new Api(fakeFetch(200, '{"items":[]}'));
    expect(await api.getJson('/api/templates')).toEqual({ items: [] });
  });

  it('turns a structured error into ApiError with code and details', async () => {
    const api = new Api(fakeFetch(401, authError));
    const error = await api.text('/api/ping').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(isAuthenticationFailure(error)).toBe(true);
    expect(describeError(error)).toBe('Authentication required: No valid session found');
  });

  it('reports a non-structured error with status and body', async () => {
    const api = new Api(fakeFetch(502, 'bad gateway'));
    const error = await api.text('/api/ping').catch((e: unknown) => e);
    expect(isAuthenticationFailure(error)).toBe(false);
    expect(describeError(error)).toBe('GET /api/ping failed with HTTP 502: bad gateway');
  });

  it('reports a network failure', async () => {
    const api = new Api(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(api.text('/api/ping')).rejects.toThrow(
      /Could not reach the backend \(Failed to fetch\)/,
    );
  });

  it('reports HTML where JSON was expected', async () => {
    const api = new Api(fakeFetch(200, '<!doctype html>'));
    await expect(api.getJson('/api/info')).rejects.toThrow('/api/info did not answer with JSON');
  });

  it('sends the CSRF header and JSON on POST and returns the exact text', async () => {
    const seen: { url?: string; init?: RequestInit } = {};
    const api = new Api(fakeFetch(200, '{"a": "ü"}', seen));
    const result = await api.postJson('/api/bind', { x: 1 });
    expect(result).toEqual({ value: { a: 'ü' }, text: '{"a": "ü"}' });
    expect(seen.init?.method).toBe('POST');
    expect(seen.init?.headers).toMatchObject({
      'X-Requested-With': 'kube-bind-ui',
      'Content-Type': 'application/json',
    });
    expect(seen.init?.body).toBe('{"x":1}');
  });

  it('recognises only complete structured errors', () => {
    expect(parseStructuredError('{"kind":"Error","message":"m","code":"c"}')).toBeUndefined();
    expect(parseStructuredError('not json')).toBeUndefined();
    expect(parseStructuredError(authError)?.code).toBe('AUTHENTICATION_FAILED');
  });
});
