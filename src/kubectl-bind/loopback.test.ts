import { request } from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  bindingCallbackJudge,
  CallbackError,
  decodeBindingResponse,
  judgeLoginCallback,
  startLoopback,
} from './loopback.ts';

const q = (params: Record<string, string>) => new URLSearchParams(params);

describe('judgeLoginCallback', () => {
  it('reads the token, its type and lifetime, and the cluster', () => {
    expect(
      judgeLoginCallback(
        q({ access_token: 'tok', token_type: 'Bearer', expires_in: '3600', cluster_id: 'c1' }),
      ),
    ).toMatchObject({
      kind: 'done',
      value: { accessToken: 'tok', tokenType: 'Bearer', expiresInSeconds: 3600, clusterId: 'c1' },
    });
    const plain = judgeLoginCallback(
      q({ access_token: 't', token_type: 'Bearer', expires_in: '1' }),
    );
    expect(plain.kind === 'done' && plain.value).toEqual({
      accessToken: 't',
      tokenType: 'Bearer',
      expiresInSeconds: 1,
    });
  });

  it('fails with the IdP error, and on an incomplete answer', () => {
    expect(judgeLoginCallback(q({ error: 'access_denied', error_description: 'no way' }))).toEqual({
      kind: 'fail',
      message: 'login failed: access_denied: no way',
    });
    expect(judgeLoginCallback(q({ access_token: 't' }))).toEqual({
      kind: 'fail',
      message: "login failed: the provider's answer lacks token_type, expires_in",
    });
    expect(
      judgeLoginCallback(q({ access_token: 't', token_type: 'Bearer', expires_in: '1h' })),
    ).toMatchObject({ kind: 'fail', message: 'login failed: invalid expires_in "1h"' });
  });
});

describe('binding_response', () => {
  const response = { kind: 'BindingResponse', note: 'a>b?c~' };
  const json = JSON.stringify(response);

  it('decodes URL-safe base64 with padding, and tolerates the standard alphabet', () => {
    const urlSafe = Buffer.from(json).toString('base64url');
    const padded = urlSafe.padEnd(Math.ceil(urlSafe.length / 4) * 4, '=');
    const standard = Buffer.from(json).toString('base64');
    expect(standard).not.toBe(padded);
    expect(decodeBindingResponse(padded)).toEqual(response);
    expect(decodeBindingResponse(urlSafe)).toEqual(response);
    expect(decodeBindingResponse(standard)).toEqual(response);
    expect(decodeBindingResponse(standard.replaceAll('+', ' '))).toEqual(response);
  });

  it.each([
    ['', 'missing'],
    ['***', 'not base64'],
    ['abcde', 'not base64'],
    ['YWJj=', 'bad base64 padding'],
    [Buffer.from('not json').toString('base64'), 'not JSON'],
    [Buffer.from('[1]').toString('base64'), 'not a JSON object'],
  ])('refuses %j', (text, message) => {
    expect(() => decodeBindingResponse(text)).toThrow(message);
  });

  it('is judged by session, error and payload', () => {
    const judge = bindingCallbackJudge('SID');
    const payload = Buffer.from('{"kind":"BindingResponse"}').toString('base64url');
    expect(judge(q({ session_id: 'other', binding_response: payload }))).toMatchObject({
      kind: 'refuse',
      status: 401,
    });
    expect(judge(q({ session_id: 'SID', binding_response: '!!' }))).toMatchObject({
      kind: 'refuse',
      status: 400,
      message: 'Invalid binding_response: not base64',
    });
    expect(judge(q({ session_id: 'SID', error: 'e', error_description: 'd' }))).toEqual({
      kind: 'fail',
      message: 'binding failed: e: d',
    });
    expect(
      judge(q({ session_id: 'SID', consumer_id: 'c', binding_response: payload })),
    ).toMatchObject({
      kind: 'done',
      value: { consumerId: 'c', bindingResponse: { kind: 'BindingResponse' } },
    });
  });
});

/** A raw GET, so the Host header can be chosen. */
function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startLoopback', () => {
  it('listens on 127.0.0.1, keeps waiting through refusals, and hands over once', async () => {
    const loopback = await startLoopback(bindingCallbackJudge('SID'));
    onTestFinished(() => loopback.close());
    expect(loopback.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const origin = new URL(loopback.redirectUrl).origin;

    expect((await get(`${origin}/favicon.ico`)).status).toBe(404);
    expect((await get(loopback.redirectUrl, 'evil.example:80')).status).toBe(400);
    const refused = await get(`${loopback.redirectUrl}?session_id=x`);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('This is not the session this CLI started.');

    const payload = Buffer.from('{"kind":"BindingResponse"}').toString('base64url');
    const done = await get(`${loopback.redirectUrl}?session_id=SID&binding_response=${payload}`);
    expect(done.status).toBe(200);
    expect(done.body).toContain('The binding was received.');
    await expect(loopback.result).resolves.toMatchObject({
      bindingResponse: { kind: 'BindingResponse' },
    });
    expect((await get(`${loopback.redirectUrl}?session_id=SID`)).status).toBe(410);
  });

  it('ends with the failure, escaped in the page', async () => {
    const loopback = await startLoopback(judgeLoginCallback);
    onTestFinished(() => loopback.close());
    const res = await get(
      `${loopback.redirectUrl}?error=access_denied&error_description=${encodeURIComponent('<b>no</b>')}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toContain('login failed: access_denied: &lt;b&gt;no&lt;/b&gt;');
    await expect(loopback.result).rejects.toThrow(CallbackError);
    await expect(loopback.result).rejects.toThrow('login failed: access_denied: <b>no</b>');
  });
});
