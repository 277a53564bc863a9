import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SharedKeys } from '../session/store.ts';
import { generateSharedKeys, resolveSharedKeys } from './keys.ts';

/** A store that keeps the first generated keys (what every session store does). */
function fakeStore(initial?: SharedKeys) {
  let stored = initial;
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    sharedKeys(generate: () => SharedKeys): Promise<SharedKeys> {
      calls++;
      stored ??= generate();
      return Promise.resolve(stored);
    },
  };
}

describe('generateSharedKeys', () => {
  it('makes three different random 32-byte keys each time', () => {
    const a = generateSharedKeys();
    const b = generateSharedKeys();
    for (const k of [a.tokenSigning, a.cookieSigning, a.cookieEncryption])
      expect(k).toHaveLength(32);
    expect(a.tokenSigning.equals(a.cookieSigning)).toBe(false);
    expect(a.tokenSigning.equals(b.tokenSigning)).toBe(false);
  });
});

describe('resolveSharedKeys', () => {
  it('takes every key from the store when no flag is given, the same on each replica', async () => {
    const store = fakeStore();
    const first = await resolveSharedKeys({}, store);
    const second = await resolveSharedKeys({}, store);
    expect(second).toEqual(first);
    expect(first.tokenSigning).toHaveLength(32);
  });

  it('lets flags win key by key', async () => {
    const stored = generateSharedKeys();
    const token = randomBytes(48);
    const encryption = randomBytes(16);
    const keys = await resolveSharedKeys(
      { tokenSigningKey: token, cookieEncryptionKey: encryption },
      fakeStore(stored),
    );
    expect(keys).toEqual({
      tokenSigning: token,
      cookieEncryption: encryption,
      cookieSigning: stored.cookieSigning,
    });
  });

  it('does not touch the store when every key is a flag', async () => {
    const store = fakeStore();
    const flags = {
      tokenSigningKey: randomBytes(32),
      cookieSigningKey: randomBytes(64),
      cookieEncryptionKey: randomBytes(24),
    };
    const keys = await resolveSharedKeys(flags, store);
    expect(keys).toEqual({
      tokenSigning: flags.tokenSigningKey,
      cookieSigning: flags.cookieSigningKey,
      cookieEncryption: flags.cookieEncryptionKey,
    });
    expect(store.calls).toBe(0);
  });

  it('refuses stored keys of the wrong size', async () => {
    const broken = { ...generateSharedKeys(), cookieEncryption: randomBytes(20) };
    await expect(resolveSharedKeys({}, fakeStore(broken))).rejects.toThrow(/16, 24 or 32/);
    const short = { ...generateSharedKeys(), tokenSigning: randomBytes(8) };
    await expect(resolveSharedKeys({}, fakeStore(short))).rejects.toThrow(/token signing/);
  });
});
