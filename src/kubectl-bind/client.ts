// The backend's HTTP API as the plugin uses it (docs/protocol.md §3.3, §3.12, §3.13, §6.1, §6.2):
// provider discovery without credentials, then the protected routes with the stored token as
// `Authorization: <tokenType> <accessToken>`. Unlike upstream, the status code counts: a non-2xx
// answer becomes a one-line error from the JSON envelope `{kind:"Error",message,code,details}`.
import type { BindingProvider } from '../apis/kubebind/documents.ts';
import type { ServerEntry } from './config.ts';
import { CommandError, oneLine } from './errors.ts';

export const userAgent = 'kubectl-bind-cli';

/** How long one request may take. */
const requestTimeoutMs = 60_000;
/**
 * The most of a provider's answer read (catalogs and a BindingResponse are kilobytes; the
 * provider's kube-apiserver gets the same bound): a hostile or broken one cannot fill memory.
 */
export const maxAnswerBytes = 16 * 2 ** 20;

/** The backend said no (or something in between did): status and the envelope's fields. */
export class ApiError extends CommandError {
  readonly status: number;
  readonly code: string | undefined;
  constructor(message: string, status: number, code?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** What provider discovery tells the CLI. */
export interface ProviderLogin {
  prettyName: string;
  version: string;
  /** Where the browser login starts (the OAuth2CodeGrant method's authenticatedURL). */
  authenticatedUrl: URL;
}

/** GET <url>/api/exports: the provider and where its login starts (the first OAuth2CodeGrant). */
export async function discoverProvider(exportsUrl: URL): Promise<ProviderLogin> {
  const doc = (await getJson(exportsUrl, {}, 'provider discovery')) as Partial<
    Record<keyof BindingProvider, unknown>
  >;
  const methods: unknown[] = Array.isArray(doc.authenticationMethods)
    ? doc.authenticationMethods
    : [];
  for (const m of methods) {
    const method = m as { method?: unknown; oauth2CodeGrant?: { authenticatedURL?: unknown } };
    const target = method.oauth2CodeGrant?.authenticatedURL;
    if (method.method !== 'OAuth2CodeGrant' || typeof target !== 'string' || target === '') {
      continue;
    }
    let authenticatedUrl: URL;
    try {
      authenticatedUrl = new URL(target, exportsUrl);
    } catch {
      throw new CommandError(`${exportsUrl.origin} sent an invalid login URL "${target}"`);
    }
    return {
      prettyName: typeof doc.providerPrettyName === 'string' ? doc.providerPrettyName : '',
      version: typeof doc.version === 'string' ? doc.version : '',
      authenticatedUrl,
    };
  }
  throw new CommandError(
    `${exportsUrl.origin} offers no login this CLI supports (no OAuth2CodeGrant method in ${exportsUrl.href})`,
  );
}

export type CatalogKind = 'templates' | 'collections';

/** GET <url>/api/templates or /api/collections (with `cluster_id` of the login, if any). */
export async function listCatalog(server: ServerEntry, kind: CatalogKind): Promise<unknown> {
  const url = new URL(`/api/${kind}`, server.url);
  if (server.cluster) url.searchParams.set('cluster_id', server.cluster);
  return getJson(url, authHeaders(server), `listing ${kind}`, server);
}

export function authHeaders(server: ServerEntry): Record<string, string> {
  return { authorization: `${server.tokenType} ${server.accessToken}` };
}

function getJson(
  url: URL,
  headers: Record<string, string>,
  what: string,
  server?: ServerEntry,
): Promise<unknown> {
  return requestJson(url, { headers }, what, server);
}

/**
 * One request to the backend, decoded as JSON; network failures, non-2xx answers (from the
 * error envelope) and non-JSON answers each become a one-line CommandError naming `what`.
 */
export async function requestJson(
  url: URL,
  request: { method?: string; headers: Record<string, string>; body?: unknown },
  what: string,
  server?: ServerEntry,
): Promise<unknown> {
  const { method = 'GET', headers, body } = request;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...headers,
        'user-agent': userAgent,
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (err) {
    throw new CommandError(`cannot reach ${url.origin}: ${networkReason(err)}`);
  }
  const text = await textWithin(res, maxAnswerBytes).catch((err: unknown) => {
    const reason =
      err instanceof AnswerTooLarge
        ? `the answer is larger than ${maxAnswerBytes / 2 ** 20} MiB (is this a kube-bind backend?)`
        : networkReason(err);
    throw new CommandError(`${what} at ${url.origin}: ${reason}`);
  });
  if (!res.ok) throw httpError(res.status, res.statusText, text, what, url, server);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CommandError(
      `${what} at ${url.origin}: the answer is not JSON (is this a kube-bind backend?)`,
    );
  }
}

class AnswerTooLarge extends Error {}

/** The body as text, refused (and the connection dropped) once it passes `limit` bytes. */
async function textWithin(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AnswerTooLarge();
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** A one-line message for a non-2xx answer, from the error envelope when there is one. */
export function httpError(
  status: number,
  statusText: string,
  body: string,
  what: string,
  url: URL,
  server?: ServerEntry,
): ApiError {
  let envelope: { kind?: unknown; message?: unknown; code?: unknown; details?: unknown } = {};
  try {
    const doc = JSON.parse(body) as unknown;
    if (typeof doc === 'object' && doc !== null) envelope = doc;
  } catch {
    // Not JSON: a proxy's page, or not a kube-bind backend.
  }
  const str = (v: unknown): string => (typeof v === 'string' ? oneLine(v) : '');
  const code = str(envelope.code) || undefined;
  const statusLine = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  let reason: string;
  if (envelope.kind === 'Error' && str(envelope.message) !== '') {
    const details = str(envelope.details);
    const message = details ? str(envelope.message).replace(/\.+$/, '') : str(envelope.message);
    reason = `${message}${details ? `: ${details}` : ''} (${statusLine}${code ? `, ${code}` : ''})`;
  } else {
    const snippet = oneLine(body).slice(0, 200);
    reason = `${statusLine}${snippet ? `: ${snippet}` : ''}`;
  }
  let hint = '';
  if (status === 401 && server) {
    const key = server.cluster ? `${server.cluster}@${server.url}` : server.url;
    hint = `; run "kubectl bind login ${key}" again`;
  }
  return new ApiError(`${what} at ${url.origin} failed: ${reason}${hint}`, status, code);
}

/** Why a request did not get an answer: `connect ECONNREFUSED 127.0.0.1:8080`, a timeout, … */
export function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${requestTimeoutMs / 1000}s`;
  }
  let cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  if (cause instanceof Error && cause.message === 'bad port') {
    // fetch refuses the ports browsers block (e.g. 1, 6000).
    return 'fetch refuses to connect to this port (a port browsers block)';
  }
  if (cause instanceof Error) return oneLine(cause.message || cause.name);
  return oneLine(String(cause));
}
