// The backend's error catalogue: every failure a caller (HTTP handler, controller) must tell apart
// has a code here, and a message written for the person who reads it.

export type BackendErrorCode =
  /** Several contract namespaces carry the same consumer identity. */
  | 'MultipleNamespaces'
  /** The contract namespace's name is taken by another consumer's namespace. */
  | 'NamespaceCollision'
  /** kube-controller-manager did not fill in the service account token in time. */
  | 'TokenTimeout'
  /** The caller's input is malformed or incomplete; the message says what to fix. */
  | 'BadRequest'
  /** No valid login: no credential, an invalid one, or an expired or unknown session. */
  | 'Unauthenticated'
  /** Logged in, but the provider cluster's RBAC does not allow binding. */
  | 'Forbidden'
  /** A named thing (template, cluster) does not exist. */
  | 'NotFound'
  /** The request conflicts with what exists (e.g. a binding name taken by another consumer). */
  | 'Conflict'
  /** The backend cannot serve yet or right now (caches syncing, session store unreachable). */
  | 'Unavailable'
  /** The client sent too many requests (per-address rate limit of the public login routes). */
  | 'TooManyRequests'
  /** The provider did not finish in time (e.g. an export request that never succeeded). */
  | 'Timeout';

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  /** More detail for the reader (shown as `details` in HTTP error bodies). */
  readonly details: string | undefined;
  constructor(
    code: BackendErrorCode,
    message: string,
    options?: ErrorOptions & { details?: string },
  ) {
    super(message, options);
    this.name = 'BackendError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isBackendError(err: unknown, code?: BackendErrorCode): err is BackendError {
  return err instanceof BackendError && (code === undefined || err.code === code);
}
