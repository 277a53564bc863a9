// Login CSRF protection: a login's callback is accepted only from the browser that started it.
// Without it, an attacker starts a login, stops at the IdP's redirect (a /api/callback URL with
// a valid code and state) and sends that link to a victim, whose browser then finishes the login
// and holds the attacker's session; what the victim binds or uploads lands in the attacker's
// account.
//
// /api/authorize gives the browser a random nonce in an HttpOnly, SameSite=Lax cookie (kept if
// it already has one, so several logins in flight in one browser all work) and stores only its
// SHA-256 with the pending login; /api/callback compares. The IdP's redirect back to the
// callback is a top-level GET navigation, which SameSite=Lax cookies accompany. The CLI flow
// needs nothing more: the browser `kubectl bind login` opens runs both steps.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Not `kube-bind-…`: that is the session cookie of a cluster (and `login` is a valid id). */
export const loginCookieName = 'kube_bind_login';
/** The cookie is only needed at the callback. */
export const loginCookiePath = '/api/callback';

/** 32 random bytes, base64url. */
const noncePattern = /^[A-Za-z0-9_-]{43}$/;

/** The browser's nonce: the one it sent, if well-formed, else a new one. */
export function browserNonce(sent: string | undefined): string {
  return sent !== undefined && noncePattern.test(sent)
    ? sent
    : randomBytes(32).toString('base64url');
}

/** What the pending login keeps of the nonce (the store never sees the nonce itself). */
export function browserBinding(nonce: string): string {
  return createHash('sha256').update(nonce, 'utf8').digest('base64url');
}

/** Whether the callback came from the browser that started the login. */
export function sameBrowser(sent: string | undefined, binding: string): boolean {
  if (sent === undefined || !noncePattern.test(sent)) return false;
  const expected = Buffer.from(binding, 'utf8');
  const actual = Buffer.from(browserBinding(sent), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
