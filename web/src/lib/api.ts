// Talking to the backend: same origin, cookie session, structured errors (protocol.md §2.5).

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A failed API call, with the backend's structured error when there was one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, status: number, code?: string, details?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Whether the backend said the session is missing or expired (the cue to log in again). */
export function isAuthenticationFailure(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'AUTHENTICATION_FAILED';
}

/** Message plus details, for showing an error to the user. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return error.details !== undefined && error.details !== ''
      ? `${error.message}: ${error.details}`
      : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The structured error in `text`, if it is one (kind Error with apiVersion, message and code). */
export function parseStructuredError(
  text: string,
): { message: string; code: string; details?: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x !== '';
  if (v['kind'] !== 'Error' || !nonEmpty(v['apiVersion'])) return undefined;
  if (!nonEmpty(v['message']) || !nonEmpty(v['code'])) return undefined;
  return nonEmpty(v['details'])
    ? { message: v['message'], code: v['code'], details: v['details'] }
    : { message: v['message'], code: v['code'] };
}

/** The header the server checks (with Origin) on state-changing requests. */
export const csrfHeader = { 'X-Requested-With': 'kube-bind-ui' } as const;

export class Api {
  private readonly fetchFn: FetchLike;

  constructor(fetchFn: FetchLike) {
    this.fetchFn = fetchFn;
  }

  /** The response body as text; throws ApiError on network failure or a non-2xx status. */
  async text(path: string, init: RequestInit = {}): Promise<string> {
    let response: Response;
    try {
      response = await this.fetchFn(path, { credentials: 'same-origin', ...init });
    } catch (error) {
      throw new ApiError(`Could not reach the backend (${describeError(error)})`, 0);
    }
    const body = await response.text().catch(() => '');
    if (response.ok) return body;
    const structured = parseStructuredError(body);
    if (structured !== undefined) {
      throw new ApiError(structured.message, response.status, structured.code, structured.details);
    }
    const snippet = body.trim().slice(0, 200);
    const statusText = response.statusText === '' ? '' : ` ${response.statusText}`;
    throw new ApiError(
      `${init.method ?? 'GET'} ${path} failed with HTTP ${response.status}${statusText}`,
      response.status,
      undefined,
      snippet === '' ? undefined : snippet,
    );
  }

  /** GET and parse JSON (the caller knows the document's type). */
  async getJson(path: string): Promise<unknown> {
    return parseJson(path, await this.text(path, { headers: { Accept: 'application/json' } }));
  }

  /** POST JSON (with the CSRF header); returns the parsed body and its exact text. */
  async postJson(path: string, body: unknown): Promise<{ value: unknown; text: string }> {
    const text = await this.text(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...csrfHeader },
      body: JSON.stringify(body),
    });
    return { value: parseJson(path, text), text };
  }

  /** POST without a body (logout). */
  async post(path: string): Promise<string> {
    return this.text(path, { method: 'POST', headers: { ...csrfHeader } });
  }
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(
      `${path} did not answer with JSON`,
      200,
      undefined,
      text.trim().slice(0, 200) || undefined,
    );
  }
}
