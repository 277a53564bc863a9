import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  apiPath,
  authorizeUrl,
  flowFromQuery,
  handoffUrl,
  isLoopbackUrl,
  newSessionId,
  queryFromFlow,
} from './urls.ts';

describe('flow parameters', () => {
  it('reads only the parameters present', () => {
    expect(flowFromQuery('?session_id=S&cluster_id=&x=1')).toEqual({
      sessionId: 'S',
      clusterId: '',
    });
    expect(
      flowFromQuery('?consumer_id=c&redirect_url=http%3A%2F%2F127.0.0.1%3A9%2Fcallback'),
    ).toEqual({ consumerId: 'c', redirectUrl: 'http://127.0.0.1:9/callback' });
  });

  it('writes non-empty parameters back', () => {
    const flow = {
      sessionId: 'S',
      clusterId: '',
      consumerId: 'c',
      redirectUrl: 'http://127.0.0.1:1/cb',
    };
    expect(flowFromQuery(queryFromFlow(flow))).toEqual({
      sessionId: 'S',
      consumerId: 'c',
      redirectUrl: 'http://127.0.0.1:1/cb',
    });
    expect(queryFromFlow({ sessionId: '', clusterId: '', consumerId: '', redirectUrl: '' })).toBe(
      '',
    );
  });
});

describe('apiPath', () => {
  it('leaves out empty and undefined values', () => {
    expect(apiPath('/api/templates')).toBe('/api/templates');
    expect(apiPath('/api/templates', { cluster_id: '', consumer_id: undefined })).toBe(
      '/api/templates',
    );
    expect(apiPath('/api/bind', { cluster_id: 'a b', consumer_id: 'x&y' })).toBe(
      '/api/bind?cluster_id=a+b&consumer_id=x%26y',
    );
  });
});

describe('authorizeUrl', () => {
  it('sends all five parameters with client_type=ui', () => {
    const url = authorizeUrl(
      {
        sessionId: 'SID',
        clusterId: 'c1',
        consumerId: 'uid',
        redirectUrl: 'http://127.0.0.1:5/cb',
      },
      'https://backend.example/',
    );
    const parsed = new URL(url, 'https://backend.example');
    expect(parsed.pathname).toBe('/api/authorize');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      session_id: 'SID',
      redirect_url: 'https://backend.example/',
      cluster_id: 'c1',
      client_type: 'ui',
      consumer_id: 'uid',
    });
  });
});

describe('handoffUrl', () => {
  const json = '{"kind":"BindingResponse","note":"Grüße ✓ ?>~"}';

  it('adds session_id, consumer_id and a URL-safe padded base64 binding_response', () => {
    const url = new URL(
      handoffUrl('http://127.0.0.1:41234/callback?keep=1', {
        sessionId: 'SID',
        consumerId: 'uid',
        bindingResponseJson: json,
      }),
    );
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:41234/callback');
    expect(url.searchParams.get('keep')).toBe('1');
    expect(url.searchParams.get('session_id')).toBe('SID');
    expect(url.searchParams.get('consumer_id')).toBe('uid');
    const encoded = url.searchParams.get('binding_response') ?? '';
    expect(encoded).toMatch(/^[A-Za-z0-9_-]*={0,2}$/);
    expect(encoded.length % 4).toBe(0);
    // Standard base64 of the same text has '+' or '/', so this really exercises the alphabet.
    expect(Buffer.from(json).toString('base64')).toMatch(/[+/]/);
    expect(
      Buffer.from(encoded.replaceAll('-', '+').replaceAll('_', '/'), 'base64').toString(),
    ).toBe(json);
  });

  it('refuses a non-loopback redirect_url', () => {
    const values = { sessionId: 'S', consumerId: 'c', bindingResponseJson: '{}' };
    expect(() => handoffUrl('https://evil.example/callback', values)).toThrow(/loopback/);
    expect(() => handoffUrl('javascript:alert(1)', values)).toThrow(/loopback/);
  });

  it('knows loopback addresses', () => {
    for (const ok of [
      'http://127.0.0.1:1/callback',
      'http://localhost:2/',
      'http://[::1]:3/cb',
      'http://127.1.2.3/',
    ]) {
      expect(isLoopbackUrl(ok), ok).toBe(true);
    }
    for (const bad of [
      'http://127.0.0.1.evil.example/',
      'http://user@127.0.0.1/',
      'ftp://127.0.0.1/',
      'not a url',
      'http://10.0.0.1/',
    ]) {
      expect(isLoopbackUrl(bad), bad).toBe(false);
    }
  });
});

describe('newSessionId', () => {
  it('is 26 base32 characters', () => {
    const id = newSessionId((b) => b.map((_, i) => i * 7));
    expect(id).toMatch(/^[A-Z2-7]{26}$/);
  });
});
