// The keys of CLI tokens and session cookies (differences.md item 3): shared by every replica and
// kept across restarts, so that a token or cookie made by one replica works on all of them.
// Keys given as flags (or from a Secret through them) win, key by key; the others come from the
// session store, where the first replica to start stores freshly generated ones.
import { randomBytes } from 'node:crypto';
import type { SessionStore, SharedKeys } from '../session/store.ts';

export interface KeyFlags {
  cookieSigningKey?: Buffer;
  cookieEncryptionKey?: Buffer;
  tokenSigningKey?: Buffer;
}

export async function resolveSharedKeys(
  flags: KeyFlags,
  store: Pick<SessionStore, 'sharedKeys'>,
): Promise<SharedKeys> {
  const { cookieSigningKey, cookieEncryptionKey, tokenSigningKey } = flags;
  // With every key on the command line the store is neither asked nor written to.
  const stored =
    cookieSigningKey && cookieEncryptionKey && tokenSigningKey
      ? undefined
      : await store.sharedKeys(generateSharedKeys);
  const keys: SharedKeys = {
    tokenSigning: tokenSigningKey ?? stored?.tokenSigning ?? Buffer.alloc(0),
    cookieSigning: cookieSigningKey ?? stored?.cookieSigning ?? Buffer.alloc(0),
    cookieEncryption: cookieEncryptionKey ?? stored?.cookieEncryption ?? Buffer.alloc(0),
  };
  checkLengths(keys);
  return keys;
}

/** New random keys: 256 bits each (AES-256-GCM for the cookie encryption). */
export function generateSharedKeys(): SharedKeys {
  return {
    tokenSigning: randomBytes(32),
    cookieSigning: randomBytes(32),
    cookieEncryption: randomBytes(32),
  };
}

/** A store holding keys of the wrong size (a hand-edited Redis value) must not start at all. */
function checkLengths(keys: SharedKeys): void {
  const problems: string[] = [];
  if (keys.tokenSigning.length < 32)
    problems.push('the token signing key is shorter than 32 bytes');
  if (keys.cookieSigning.length < 32)
    problems.push('the cookie signing key is shorter than 32 bytes');
  if (![16, 24, 32].includes(keys.cookieEncryption.length)) {
    problems.push('the cookie encryption key is not 16, 24 or 32 bytes long');
  }
  if (problems.length > 0) throw new Error(`invalid shared keys: ${problems.join('; ')}`);
}
