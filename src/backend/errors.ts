// The backend's error catalogue: every failure a caller (HTTP handler, controller) must tell apart
// has a code here, and a message written for the person who reads it.

export type BackendErrorCode =
  /** Several contract namespaces carry the same consumer identity. */
  | 'MultipleNamespaces'
  /** The contract namespace's name is taken by another consumer's namespace. */
  | 'NamespaceCollision'
  /** kube-controller-manager did not fill in the service account token in time. */
  | 'TokenTimeout';

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  constructor(code: BackendErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackendError';
    this.code = code;
  }
}

export function isBackendError(err: unknown, code?: BackendErrorCode): err is BackendError {
  return err instanceof BackendError && (code === undefined || err.code === code);
}
