// CLI bearer tokens (docs/protocol.md §4.4): a JWT, HS256 with the signing key every replica
// shares (differences.md item 3), so a token issued by one replica works on all of them and after a
// restart. The CLI treats it as opaque; only this module reads it. It lives exactly as long as
// its session (upstream: 24 h tokens for 1 h sessions).
import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../../runtime/clock.ts';
import type { SessionRecord, SharedKeys } from '../session/store.ts';

/** Keeps tokens of this backend apart from any other JWT that might share the key. */
export const tokenAudience = 'kube-bind-backend';

export interface TokenClaims {
  /** OIDC subject. */
  sub: string;
  /** OIDC issuer (as upstream: the claim carries the IdP, not this backend). */
  iss: string;
  /** The session's key in the store (random, made by the server; not the client's session_id). */
  sid: string;
  /** Cluster id of the login ("" for the default cluster). */
  cid: string;
  /** OIDC groups ([] when the token has none). */
  groups: string[];
  aud: string;
  /** Seconds since the epoch. */
  exp: number;
  nbf: number;
  iat: number;
}

export interface CliTokens {
  issue(session: SessionRecord): Promise<string>;
  /** The claims of a valid token; undefined for anything else. Never throws. */
  verify(token: string): Promise<TokenClaims | undefined>;
}

export function cliTokens(
  keys: Pick<SharedKeys, 'tokenSigning'>,
  clock: Pick<Clock, 'now'>,
): CliTokens {
  const key = new Uint8Array(keys.tokenSigning);
  return {
    async issue(session) {
      const now = seconds(clock.now());
      return new SignJWT({
        sid: session.key,
        cid: session.clusterId,
        ...(session.groups.length > 0 && { groups: session.groups }),
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(session.subject)
        .setIssuer(session.issuer)
        .setAudience(tokenAudience)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(seconds(session.expiresAt))
        .sign(key);
    },

    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          // Only the algorithm we sign with: no `none`, no algorithm confusion.
          algorithms: ['HS256'],
          audience: tokenAudience,
          currentDate: new Date(clock.now()),
          requiredClaims: ['sub', 'iss', 'sid', 'exp', 'nbf', 'iat'],
        });
        return claimsOf(payload);
      } catch {
        return undefined;
      }
    },
  };
}

/** The claims, if they have the types this module writes; a token with others is refused. */
function claimsOf(payload: Record<string, unknown>): TokenClaims | undefined {
  const { sub, iss, sid, cid = '', groups = [], aud, exp, nbf, iat } = payload;
  if (!isString(sub) || !isString(iss) || !isString(sid) || !isString(cid) || !isString(aud)) {
    return undefined;
  }
  if (sid === '' || sub === '' || iss === '') return undefined;
  if (!Array.isArray(groups) || !groups.every(isString)) return undefined;
  if (typeof exp !== 'number' || typeof nbf !== 'number' || typeof iat !== 'number') {
    return undefined;
  }
  return { sub, iss, sid, cid, groups, aud, exp, nbf, iat };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
