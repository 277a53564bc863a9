// Kubernetes errors as the front door reports them (docs/protocol.md §2.5): what the API server
// refused becomes a BackendError with its message as details; anything else stays as it is and
// is reported as an internal error.
import {
  ForbiddenError,
  InvalidError,
  KubeApiError,
  NotFoundError,
  UnauthorizedError,
} from '../../kube/errors.ts';
import { BackendError } from '../errors.ts';

export function fromKubeError(err: unknown, message: string): unknown {
  if (!(err instanceof KubeApiError)) return err;
  const details = err.status.message ?? err.message;
  if (err instanceof NotFoundError)
    return new BackendError('NotFound', message, { details, cause: err });
  if (err instanceof ForbiddenError)
    return new BackendError('Forbidden', message, { details, cause: err });
  if (err instanceof UnauthorizedError) {
    // The backend's own credentials were refused: an operator problem, not the user's.
    return new BackendError('Unavailable', message, {
      details: 'The backend cannot reach the provider cluster',
      cause: err,
    });
  }
  if (err instanceof InvalidError || err.code === 400)
    return new BackendError('BadRequest', message, { details, cause: err });
  if (err.code === 409) return new BackendError('Conflict', message, { details, cause: err });
  if (err.code === 429 || err.code >= 500) {
    return new BackendError('Unavailable', message, {
      details: 'The provider cluster is busy or unavailable; try again',
      cause: err,
    });
  }
  return err;
}

/** Runs `work`, translating Kubernetes errors into BackendErrors carrying `message`. */
export async function translated<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw fromKubeError(err, message);
  }
}
