import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import type { SessionRecord } from '../session/store.ts';
import { cookieName, maxCookieAgeMs, sessionCookies } from './cookies.ts';

const hour = 3600_000;
const day = 24 * hour;

function setup(encryptionBytes = 32) {
  const clock = new FakeClock();
  const keys = { cookieSigning: randomBytes(32), cookieEncryption: randomBytes(encryptionBytes) };
  const session: SessionRecord = {
    key: 'server-made-session-key-1',
    sessionId: 'sid-1',
    subject: 'user-1',
    issuer: 'https://idp.example.com',
    groups: ['platform'],
    clusterId: '',
    redirectUrl: 'https://bind.example.com/resources',
    createdAt: clock.now(),
    expiresAt: clock.now() + hour,
  };
  return { clock, keys, session, cookies: sessionCookies(keys, clock) };
}

/** Flips one bit of the decoded cookie at `index` (negative: from the end). */
function flipped(value: string, index: number): string {
  const raw = Buffer.from(value, 'base64url');
  const at = index < 0 ? raw.length + index : index;
  raw[at] = (raw[at] ?? 0) ^ 1;
  return raw.toString('base64url');
}

describe('cookieName', () => {
  it('names the default cluster kube-bind and others kube-bind-<id>', () => {
    expect(cookieName('')).toBe('kube-bind');
    expect(cookieName('c1')).toBe('kube-bind-c1');
  });
});

describe('sessionCookies', () => {
  it.each([16, 24, 32])('round-trips a session with a %i-byte AES key', (bytes) => {
    const { cookies, session } = setup(bytes);
    const value = cookies.seal('kube-bind', session);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cookies.open('kube-bind', value)).toEqual(session);
  });

  it('hides the record: nothing of it is readable in the cookie', () => {
    const { cookies, session } = setup();
    const raw = Buffer.from(cookies.seal('kube-bind', session), 'base64url').toString('latin1');
    for (const secret of [session.subject, session.issuer, session.sessionId, 'platform']) {
      expect(raw).not.toContain(secret);
    }
  });

  it('encrypts with a fresh IV each time', () => {
    const { cookies, session } = setup();
    expect(cookies.seal('kube-bind', session)).not.toBe(cookies.seal('kube-bind', session));
  });

  it('refuses a cookie moved to another name', () => {
    const { cookies, session } = setup();
    const value = cookies.seal('kube-bind', session);
    expect(cookies.open('kube-bind-c1', value)).toBeUndefined();
    expect(cookies.open('kube-bind-', value)).toBeUndefined();
  });

  it('refuses any flipped bit: version, timestamp, IV, ciphertext, tag or MAC', () => {
    const { cookies, session } = setup();
    const value = cookies.seal('kube-bind', session);
    const length = Buffer.from(value, 'base64url').length;
    for (let i = 0; i < length; i++) {
      expect(cookies.open('kube-bind', flipped(value, i)), `byte ${i}`).toBeUndefined();
    }
  });

  it('refuses truncated, extended and non-canonical values', () => {
    const { cookies, session } = setup();
    const value = cookies.seal('kube-bind', session);
    for (const junk of ['', 'x', value.slice(0, -1), `${value}A`, `${value}=`, `${value}.`]) {
      expect(cookies.open('kube-bind', junk)).toBeUndefined();
    }
  });

  it('refuses a cookie sealed with another signing or encryption key', () => {
    const { clock, keys, session, cookies } = setup();
    const value = cookies.seal('kube-bind', session);
    const otherSigning = sessionCookies({ ...keys, cookieSigning: randomBytes(32) }, clock);
    const otherEncryption = sessionCookies({ ...keys, cookieEncryption: randomBytes(32) }, clock);
    expect(otherSigning.open('kube-bind', value)).toBeUndefined();
    expect(otherEncryption.open('kube-bind', value)).toBeUndefined();
  });

  it('refuses a cookie whose session has expired', async () => {
    const { cookies, session, clock } = setup();
    const value = cookies.seal('kube-bind', session);
    await clock.advance(hour - 1);
    expect(cookies.open('kube-bind', value)).toEqual(session);
    await clock.advance(1);
    expect(cookies.open('kube-bind', value)).toBeUndefined();
  });

  it('refuses a cookie older than 30 days, even for a longer session', async () => {
    const { cookies, session, clock } = setup();
    const value = cookies.seal('kube-bind', { ...session, expiresAt: clock.now() + 90 * day });
    await clock.advance(maxCookieAgeMs - 1);
    expect(cookies.open('kube-bind', value)).toBeDefined();
    await clock.advance(2);
    expect(cookies.open('kube-bind', value)).toBeUndefined();
  });

  it('refuses a cookie from the far future (beyond replica clock skew)', () => {
    const { keys, session, clock, cookies } = setup();
    const ahead = sessionCookies(keys, { now: () => clock.now() + hour });
    const value = ahead.seal('kube-bind', { ...session, expiresAt: clock.now() + 2 * hour });
    expect(cookies.open('kube-bind', value)).toBeUndefined();
    const slightlyAhead = sessionCookies(keys, { now: () => clock.now() + 60_000 });
    expect(cookies.open('kube-bind', slightlyAhead.seal('kube-bind', session))).toEqual(session);
  });

  it('is read by every replica with the same keys (fixed clock)', () => {
    const start = Date.UTC(2026, 5, 1);
    const keys = { cookieSigning: randomBytes(64), cookieEncryption: randomBytes(16) };
    const session = { ...setup().session, createdAt: start, expiresAt: start + hour };
    const one = sessionCookies(keys, { now: () => start });
    const other = sessionCookies(
      { cookieSigning: Buffer.from(keys.cookieSigning), cookieEncryption: keys.cookieEncryption },
      { now: () => start + 30 * 60_000 },
    );
    expect(other.open('kube-bind-c2', one.seal('kube-bind-c2', session))).toEqual(session);
  });

  it('rejects an AES key of the wrong size at construction', () => {
    const { clock } = setup();
    expect(() =>
      sessionCookies({ cookieSigning: randomBytes(32), cookieEncryption: randomBytes(20) }, clock),
    ).toThrow(/16, 24 or 32/);
  });
});
