// Typed errors for Kubernetes API responses: the `reason` of the metav1.Status the server returns
// decides the class, so callers test `err instanceof NotFoundError` instead of status codes.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
}

export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: StatusBody;
  readonly method: string;
  readonly path: string;
  /** How long the server asked us to wait (Retry-After header or details.retryAfterSeconds). */
  retryAfterSeconds: number | undefined;

  constructor(method: string, path: string, code: number, status: StatusBody) {
    const reason = status.reason ?? 'Unknown';
    super(`${method} ${path}: ${code} ${reason}: ${status.message ?? '(no message)'}`);
    this.name = new.target.name;
    this.code = code;
    this.reason = reason;
    this.status = status;
    this.method = method;
    this.path = path;
    this.retryAfterSeconds = status.details?.retryAfterSeconds;
  }

  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

export class NotFoundError extends KubeApiError {}
export class AlreadyExistsError extends KubeApiError {}
export class ConflictError extends KubeApiError {}
export class ForbiddenError extends KubeApiError {}
export class UnauthorizedError extends KubeApiError {}
export class GoneError extends KubeApiError {}
export class InvalidError extends KubeApiError {}
export class TooManyRequestsError extends KubeApiError {}

type ErrorClass = new (
  method: string,
  path: string,
  code: number,
  status: StatusBody,
) => KubeApiError;

const byReason: Readonly<Record<string, ErrorClass>> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  Conflict: ConflictError,
  Forbidden: ForbiddenError,
  Unauthorized: UnauthorizedError,
  Gone: GoneError,
  Expired: GoneError,
  Invalid: InvalidError,
  TooManyRequests: TooManyRequestsError,
};

const byCode: Readonly<Record<number, ErrorClass>> = {
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  410: GoneError,
  422: InvalidError,
  429: TooManyRequestsError,
};

/** Builds the typed error for a non-2xx response; a body that is not a Status still gets a class by code. */
export function apiErrorFrom(
  method: string,
  path: string,
  code: number,
  body: unknown,
  retryAfterHeader?: string,
): KubeApiError {
  const status: StatusBody = isStatus(body)
    ? body
    : typeof body === 'string' && body.length > 0
      ? { message: body.slice(0, 500) }
      : {};
  const cls = (status.reason && byReason[status.reason]) || byCode[code] || KubeApiError;
  const err = new cls(method, path, code, status);
  const headerSeconds = retryAfterHeader === undefined ? NaN : Number(retryAfterHeader);
  if (Number.isFinite(headerSeconds) && headerSeconds >= 0) err.retryAfterSeconds = headerSeconds;
  return err;
}

/**
 * Resolves to undefined when `request` fails with NotFound (an absent object is an answer, not an
 * error, for gets and deletes); every other error is rethrown.
 */
export async function ignoreNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * Resolves to undefined when `request` (a create) fails with AlreadyExists: for create-if-missing,
 * an object that is already there is the answer; every other error is rethrown.
 */
export async function ignoreAlreadyExists<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof AlreadyExistsError) return undefined;
    throw err;
  }
}

function isStatus(body: unknown): body is StatusBody {
  return typeof body === 'object' && body !== null && (body as StatusBody).kind === 'Status';
}
