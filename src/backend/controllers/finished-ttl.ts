// Finished requests (BindableResourcesRequests, APIServiceExportRequests) are deleted a while after
// they finish, as upstream's are; what they made stays. One rule for both kinds: the TTL counts
// from a timestamp the request carries, and the time is passed in, so the rule is pure. The
// deletion itself, which is I/O, is in delete-expired.ts.

export type Expiry =
  /** No TTL applies (none set, or no start time to count from): the request stays. */
  | { kind: 'keep' }
  /** Not yet: look again when the TTL ends. */
  | { kind: 'wait'; afterMs: number }
  | { kind: 'delete' };

/** Whether a request finished at `since` (RFC 3339) has outlived `ttlMs` at `now`. */
export function expiry(since: string | undefined, ttlMs: number | undefined, now: number): Expiry {
  const start = Date.parse(since ?? '');
  if (ttlMs === undefined || Number.isNaN(start)) return { kind: 'keep' };
  const remaining = start + ttlMs - now;
  return remaining > 0 ? { kind: 'wait', afterMs: remaining } : { kind: 'delete' };
}
