// When the client repeats a request by itself. The rule is "only when the server certainly did not
// act on it, or acting twice is harmless":
//   - 429 and any 5xx carrying Retry-After: the server asked us to come back; every verb.
//   - other 502/503/504: the request may not have reached the server; idempotent verbs only.
//   - the connection could not be opened: nothing was sent; every verb.
//   - the connection broke mid-request: idempotent verbs only (a POST may have been applied).
// Watches are never retried here; the informer owns their restart.
import { KubeApiError, TooManyRequestsError } from './errors.ts';
import { connectTimeoutCode, idleTimeoutCode } from './transport.ts';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** First backoff delay; doubled per attempt, with ±20% jitter. */
  baseDelayMs: number;
  /** Cap for one backoff delay and for a server's Retry-After. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Error codes (Node's and transport.ts's) meaning no byte of the request reached the server. */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  connectTimeoutCode,
]);

/** Error codes for a connection that broke after the request may have been sent. */
const brokenCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', idleTimeoutCode]);

/**
 * The delay before attempt `attempt + 1` (attempts count from 1), or undefined when the error is
 * final. `random` returns [0, 1) and is injected so tests are deterministic.
 */
export function retryDelay(
  method: string,
  err: unknown,
  attempt: number,
  policy: RetryPolicy = defaultRetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const idempotent = idempotentMethods.has(method.toUpperCase());
  const backoff = (): number => {
    const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp * (0.8 + 0.4 * random()));
  };
  if (err instanceof KubeApiError) {
    const after = err.retryAfterSeconds;
    if (err instanceof TooManyRequestsError || (err.code >= 500 && after !== undefined)) {
      return after !== undefined ? Math.min(policy.maxDelayMs, after * 1000) : backoff();
    }
    if ([502, 503, 504].includes(err.code) && idempotent) return backoff();
    return undefined;
  }
  const code = networkErrorCode(err);
  if (code === undefined) return undefined;
  if (notSentCodes.has(code)) return backoff();
  if (brokenCodes.has(code) && idempotent) return backoff();
  return undefined;
}

/** The system or transport error code of `err` or of its cause chain. */
export function networkErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') return undefined;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
