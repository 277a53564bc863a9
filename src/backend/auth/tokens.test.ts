import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import type { SessionRecord } from '../session/store.ts';
import { cliTokens, tokenAudience } from './tokens.ts';

const hour = 3600_000;

function setup(start?: number) {
  const clock = new FakeClock(start);
  const key = randomBytes(32);
  const session: SessionRecord = {
    key: 'Zq3Hn0s3rv3rM4d3K3y0000000000000000000000000',
    sessionId: 'K4XQ7O2M3ZQ6Y5J3W2ZV7RZB4A',
    subject: 'CgNib2ISBWxvY2Fs',
    issuer: 'https://idp.example.com',
    groups: ['platform', 'devops'],
    clusterId: 'c1',
    redirectUrl: 'http://127.0.0.1:53127/callback',
    createdAt: clock.now(),
    expiresAt: clock.now() + hour,
  };
  return { clock, key, session, tokens: cliTokens({ tokenSigning: key }, clock) };
}

/** Replaces one dot-separated part of a JWT. */
function withPart(token: string, index: number, part: string): string {
  const parts = token.split('.');
  parts[index] = part;
  return parts.join('.');
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cliTokens', () => {
  it('round-trips a session into claims', async () => {
    const { tokens, session } = setup();
    const claims = await tokens.verify(await tokens.issue(session));
    expect(claims).toEqual({
      sub: session.subject,
      iss: session.issuer,
      sid: session.key,
      cid: 'c1',
      groups: ['platform', 'devops'],
      aud: tokenAudience,
      iat: Math.floor(session.createdAt / 1000),
      nbf: Math.floor(session.createdAt / 1000),
      exp: Math.floor(session.expiresAt / 1000),
    });
  });

  it('writes exactly the documented claims, with a fixed clock', async () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { tokens, session } = setup(start);
    const token = await tokens.issue({ ...session, groups: [], clusterId: '' });
    expect(decodeJwt(token)).toEqual({
      sub: 'CgNib2ISBWxvY2Fs',
      iss: 'https://idp.example.com',
      // The server-made session key, never the client's session_id (session fixation).
      sid: 'Zq3Hn0s3rv3rM4d3K3y0000000000000000000000000',
      cid: '',
      aud: 'kube-bind-backend',
      iat: start / 1000,
      nbf: start / 1000,
      exp: start / 1000 + 3600,
    });
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
    expect((await tokens.verify(token))?.groups).toEqual([]);
  });

  it('lives exactly as long as its session', async () => {
    const { tokens, session, clock } = setup();
    const token = await tokens.issue(session);
    await clock.advance(hour - 1000);
    expect(await tokens.verify(token)).toBeDefined();
    await clock.advance(1000);
    expect(await tokens.verify(token)).toBeUndefined();
  });

  it('is not valid before it was issued', async () => {
    const { tokens, session, clock, key } = setup();
    const token = await tokens.issue(session);
    const earlier = cliTokens({ tokenSigning: key }, { now: () => clock.now() - 60_000 });
    expect(await earlier.verify(token)).toBeUndefined();
  });

  it('refuses a tampered payload', async () => {
    const { tokens, session } = setup();
    const token = await tokens.issue(session);
    const claims = decodeJwt(token);
    const forged = withPart(token, 1, b64({ ...claims, sub: 'admin' }));
    expect(await tokens.verify(forged)).toBeUndefined();
  });

  it('refuses a tampered signature', async () => {
    const { tokens, session } = setup();
    const token = await tokens.issue(session);
    const sig = Buffer.from(token.split('.')[2] ?? '', 'base64url');
    sig[0] = (sig[0] ?? 0) ^ 1;
    expect(await tokens.verify(withPart(token, 2, sig.toString('base64url')))).toBeUndefined();
  });

  it('refuses alg none, with or without a signature', async () => {
    const { tokens, session } = setup();
    const token = await tokens.issue(session);
    const none = withPart(withPart(token, 0, b64({ alg: 'none', typ: 'JWT' })), 2, '');
    expect(await tokens.verify(none)).toBeUndefined();
    expect(await tokens.verify(withPart(token, 0, b64({ alg: 'none' })))).toBeUndefined();
  });

  it('refuses other algorithms, even signed with the same secret', async () => {
    const { tokens, session, key } = setup();
    const claims = decodeJwt(await tokens.issue(session));
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(key);
    expect(await tokens.verify(hs512)).toBeUndefined();
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await tokens.verify(rs256)).toBeUndefined();
  });

  it('refuses a token signed with another key', async () => {
    const { session } = setup();
    const other = setup();
    const token = await other.tokens.issue(session);
    expect(await setup().tokens.verify(token)).toBeUndefined();
  });

  it('refuses a token of the right key for another audience or without a session id', async () => {
    const { tokens, session, key } = setup();
    const claims = decodeJwt(await tokens.issue(session));
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(await tokens.verify(await sign({ ...claims, aud: 'someone-else' }))).toBeUndefined();
    expect(await tokens.verify(await sign({ ...claims, sid: undefined }))).toBeUndefined();
    expect(await tokens.verify(await sign({ ...claims, sid: '' }))).toBeUndefined();
    expect(await tokens.verify(await sign({ ...claims, groups: 'admins' }))).toBeUndefined();
    expect(await tokens.verify(await sign({ ...claims }))).toBeDefined();
  });

  it('never throws on garbage', async () => {
    const { tokens } = setup();
    for (const junk of ['', 'a', 'a.b.c', '...', 'Bearer x', '\u0000'.repeat(10)]) {
      expect(await tokens.verify(junk)).toBeUndefined();
    }
  });
});
