// The browser's session cookie (docs/protocol.md §4.5): a copy of the session record, encrypted
// (AES-GCM, --cookie-encryption-key) and then signed (HMAC-SHA256, --cookie-signing-key) over
// its name, its time of issue and the ciphertext, like upstream's securecookie: the name in the
// MAC keeps a cookie from being replayed under another cluster's name, the time bounds its age.
// The format is ours; only this backend ever reads it. Both keys are shared by all replicas.
//
// Layout, then base64url: version (1) | issued-at ms (8, big-endian) | IV (12) | ciphertext |
// GCM tag (16) | HMAC (32).
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { Clock } from '../../runtime/clock.ts';
import type { SessionRecord, SharedKeys } from '../session/store.ts';

/** securecookie's default maximum age; the record's own expiry usually ends it much earlier. */
export const maxCookieAgeMs = 30 * 24 * 60 * 60 * 1000;
/** Replicas' clocks differ a little: a cookie "from the future" within this is accepted. */
const clockSkewMs = 5 * 60 * 1000;

const version = 1;
const ivBytes = 12;
const tagBytes = 16;
const macBytes = 32;
const headerBytes = 1 + 8;

export interface SessionCookies {
  /** The cookie value carrying `session` under the cookie name `name`. */
  seal(name: string, session: SessionRecord): string;
  /** The session in a cookie sealed under `name`; undefined if forged, moved, too old or expired. */
  open(name: string, value: string): SessionRecord | undefined;
}

/** `kube-bind`, or `kube-bind-<cluster>` for a login to a named cluster (protocol.md §4.5). */
export function cookieName(clusterId: string): string {
  return clusterId === '' ? 'kube-bind' : `kube-bind-${clusterId}`;
}

export function sessionCookies(
  keys: Pick<SharedKeys, 'cookieSigning' | 'cookieEncryption'>,
  clock: Pick<Clock, 'now'>,
): SessionCookies {
  const cipher = cipherFor(keys.cookieEncryption);
  const mac = (name: string, signed: Buffer): Buffer => {
    // The name is length-prefixed so that no name/content split can be read two ways.
    const nameBytes = Buffer.from(name, 'utf8');
    const nameLength = Buffer.alloc(4);
    nameLength.writeUInt32BE(nameBytes.length);
    return createHmac('sha256', keys.cookieSigning)
      .update(nameLength)
      .update(nameBytes)
      .update(signed)
      .digest();
  };

  return {
    seal(name, session) {
      const header = Buffer.alloc(headerBytes);
      header.writeUInt8(version, 0);
      header.writeBigUInt64BE(BigInt(clock.now()), 1);
      const iv = randomBytes(ivBytes);
      const enc = createCipheriv(cipher, keys.cookieEncryption, iv, { authTagLength: tagBytes });
      const plaintext = Buffer.from(JSON.stringify(session), 'utf8');
      const ciphertext = Buffer.concat([enc.update(plaintext), enc.final(), enc.getAuthTag()]);
      const signed = Buffer.concat([header, iv, ciphertext]);
      return Buffer.concat([signed, mac(name, signed)]).toString('base64url');
    },

    open(name, value) {
      try {
        const raw = Buffer.from(value, 'base64url');
        if (raw.length < headerBytes + ivBytes + tagBytes + macBytes) return undefined;
        if (raw.toString('base64url') !== value) return undefined;
        const signed = raw.subarray(0, raw.length - macBytes);
        if (!timingSafeEqual(raw.subarray(raw.length - macBytes), mac(name, signed))) {
          return undefined;
        }
        if (signed.readUInt8(0) !== version) return undefined;
        const now = clock.now();
        const issuedAt = Number(signed.readBigUInt64BE(1));
        if (issuedAt < now - maxCookieAgeMs || issuedAt > now + clockSkewMs) return undefined;
        const iv = signed.subarray(headerBytes, headerBytes + ivBytes);
        const body = signed.subarray(headerBytes + ivBytes);
        const dec = createDecipheriv(cipher, keys.cookieEncryption, iv, {
          authTagLength: tagBytes,
        });
        dec.setAuthTag(body.subarray(body.length - tagBytes));
        const plaintext = Buffer.concat([dec.update(body.subarray(0, -tagBytes)), dec.final()]);
        const session = sessionOf(JSON.parse(plaintext.toString('utf8')));
        return session && session.expiresAt > now ? session : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

type GcmCipher = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

function cipherFor(key: Buffer): GcmCipher {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new Error(`the cookie encryption key has ${key.length} bytes; AES needs 16, 24 or 32`);
  }
}

/** The record, if the decrypted JSON has its shape (it always does unless the key leaked). */
function sessionOf(value: unknown): SessionRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, sessionId, subject, issuer, groups, clusterId, redirectUrl, createdAt, expiresAt } =
    value as Partial<Record<keyof SessionRecord, unknown>>;
  if (!isString(key) || !isString(sessionId) || !isString(subject) || !isString(issuer)) {
    return undefined;
  }
  if (!isString(clusterId) || !isString(redirectUrl)) return undefined;
  if (typeof createdAt !== 'number' || typeof expiresAt !== 'number') return undefined;
  if (!Array.isArray(groups) || !groups.every(isString)) return undefined;
  return { key, sessionId, subject, issuer, groups, clusterId, redirectUrl, createdAt, expiresAt };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
