// The loopback listener the browser comes back to (docs/protocol.md §6.1 steps 3–7, §6.5 step 4):
// `http://127.0.0.1:<random port>/callback`. It answers the browser with a small page and hands
// the command what arrived: a login token, or (UI-assisted flow) a BindingResponse. A malformed
// request that could be someone else's can be refused while the listener keeps waiting.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const { createServer } = process.getBuiltinModule('node:http');

/** What the judge of a callback request decides. */
export type CallbackVerdict<T> =
  /** The flow is done: show `page` (a success message) and hand over `value`. */
  | { kind: 'done'; value: T; page: string }
  /** The flow failed (e.g. the login was refused): show `message` and end with it. */
  | { kind: 'fail'; message: string }
  /** Not for us or unreadable: answer `status` with `message` and keep waiting. */
  | { kind: 'refuse'; status: number; message: string };

export interface Loopback<T> {
  /** `http://127.0.0.1:<port>/callback`. */
  redirectUrl: string;
  /** Settles with the first `done` or `fail` verdict (rejecting with a CallbackError). */
  result: Promise<T>;
  close(): void;
}

/** The callback reported a failure (the IdP refused, the UI sent an error). */
export class CallbackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackError';
  }
}

export const callbackPath = '/callback';

/** Starts listening on 127.0.0.1 at a port the kernel picks. */
export async function startLoopback<T>(
  judge: (query: URLSearchParams) => CallbackVerdict<T>,
): Promise<Loopback<T>> {
  let settle: { resolve: (v: T) => void; reject: (e: Error) => void } | undefined;
  const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  // A failure before anyone awaits the result must not crash the process.
  result.catch(() => undefined);
  let port = 0;

  interface Reply {
    status: number;
    title: string;
    message: string;
    sent?: () => void;
  }
  const handle = (req: IncomingMessage): Reply => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Only the browser coming back to this address (no DNS-rebound foreign page).
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return { status: 400, title: 'Wrong host', message: 'This listener answers at 127.0.0.1.' };
    }
    if (url.pathname !== callbackPath) {
      return { status: 404, title: 'Not found', message: 'Nothing here.' };
    }
    if (req.method !== 'GET') {
      return { status: 405, title: 'Method not allowed', message: 'Only GET is supported.' };
    }
    const pending = settle;
    if (!pending) {
      return { status: 410, title: 'Already done', message: 'The command has finished.' };
    }
    const verdict = judge(url.searchParams);
    if (verdict.kind === 'refuse') {
      return { status: verdict.status, title: 'Refused', message: verdict.message };
    }
    settle = undefined;
    // Hand over once the page is on its way, so the command's exit does not cut it off.
    return verdict.kind === 'done'
      ? {
          status: 200,
          title: 'Done',
          message: verdict.page,
          sent: () => pending.resolve(verdict.value),
        }
      : {
          status: 400,
          title: 'Failed',
          message: verdict.message,
          sent: () => pending.reject(new CallbackError(verdict.message)),
        };
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = handle(req);
    if (reply.status === 405) res.setHeader('allow', 'GET');
    answer(res, reply.status, reply.title, reply.message, reply.sent);
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    redirectUrl: `http://127.0.0.1:${port}${callbackPath}`,
    result,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

function answer(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
  sent?: () => void,
): void {
  const ok = status === 200;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kubectl bind: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem;color:${ok ? '#17663a' : '#a11'}}</style></head>
<body><h1>${escapeHtml(ok ? 'kubectl bind: done' : `kubectl bind: ${title}`)}</h1>
<p>${escapeHtml(message)}</p></body></html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The URL carried a token: do not pass it on.
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    connection: 'close',
  });
  res.end(body, sent);
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** What `kubectl bind login` receives (protocol.md §4.4, §12 item 1). */
export interface LoginCallback {
  accessToken: string;
  /** Echoed verbatim as the Authorization scheme; the backend sends `Bearer`. */
  tokenType: string;
  expiresInSeconds: number;
  /** The provider cluster the login was for, when there was one. */
  clusterId?: string;
}

/** Judges the login redirect: `access_token`, `token_type`, `expires_in`, `cluster_id`, or `error`. */
export function judgeLoginCallback(query: URLSearchParams): CallbackVerdict<LoginCallback> {
  const error = query.get('error') ?? '';
  if (error !== '') {
    const description = query.get('error_description') ?? '';
    return {
      kind: 'fail',
      message: `login failed: ${error}${description ? `: ${description}` : ''}`,
    };
  }
  const accessToken = query.get('access_token') ?? '';
  const tokenType = query.get('token_type') ?? '';
  const expiresIn = query.get('expires_in') ?? '';
  const missing = [
    accessToken === '' && 'access_token',
    tokenType === '' && 'token_type',
    expiresIn === '' && 'expires_in',
  ].filter((m) => m !== false);
  if (missing.length > 0) {
    return {
      kind: 'fail',
      message: `login failed: the provider's answer lacks ${missing.join(', ')}`,
    };
  }
  if (!/^\d+$/.test(expiresIn)) {
    return { kind: 'fail', message: `login failed: invalid expires_in "${expiresIn}"` };
  }
  const clusterId = query.get('cluster_id') ?? '';
  return {
    kind: 'done',
    value: {
      accessToken,
      tokenType,
      expiresInSeconds: Number(expiresIn),
      ...(clusterId !== '' && { clusterId }),
    },
    page: 'You are logged in. You can close this window and go back to the terminal.',
  };
}

/** What the UI-assisted flow (`kubectl bind` without a command) receives. */
export interface BindingCallback {
  consumerId: string;
  /** The decoded `binding_response`: a JSON object (a BindingResponse, checked by the caller). */
  bindingResponse: Record<string, unknown>;
}

/**
 * Judges the UI's redirect: the request must carry this CLI's `session_id` (else 401, keep
 * waiting); an `error` ends the flow; `binding_response` is base64 of a JSON object (else 400,
 * keep waiting).
 */
export function bindingCallbackJudge(
  sessionId: string,
): (query: URLSearchParams) => CallbackVerdict<BindingCallback> {
  return (query) => {
    if (query.get('session_id') !== sessionId) {
      return { kind: 'refuse', status: 401, message: 'This is not the session this CLI started.' };
    }
    const error = query.get('error') ?? '';
    if (error !== '') {
      const description = query.get('error_description') ?? query.get('message') ?? '';
      return {
        kind: 'fail',
        message: `binding failed: ${error}${description ? `: ${description}` : ''}`,
      };
    }
    let bindingResponse: Record<string, unknown>;
    try {
      bindingResponse = decodeBindingResponse(query.get('binding_response') ?? '');
    } catch (err) {
      return {
        kind: 'refuse',
        status: 400,
        message: `Invalid binding_response: ${(err as Error).message}`,
      };
    }
    return {
      kind: 'done',
      value: { consumerId: query.get('consumer_id') ?? '', bindingResponse },
      page: 'The binding was received. You can close this window and go back to the terminal.',
    };
  };
}

/**
 * Decodes `binding_response`: URL-safe base64 with padding (protocol.md §6.5 item 5). Upstream's UI
 * sends standard base64, which the upstream CLI decodes only by luck; both alphabets are
 * accepted here, with or without padding, and a `+` that the query turned into a space.
 */
export function decodeBindingResponse(text: string): Record<string, unknown> {
  const b64 = text.replaceAll(' ', '+');
  if (b64 === '') throw new Error('missing');
  const unpadded = b64.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/_-]+$/.test(unpadded) || unpadded.length % 4 === 1) {
    throw new Error('not base64');
  }
  if (b64 !== unpadded && b64.length % 4 !== 0) throw new Error('bad base64 padding');
  const json = Buffer.from(unpadded.replaceAll('-', '+').replaceAll('_', '/'), 'base64').toString(
    'utf8',
  );
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error('not a JSON object');
  }
  return doc as Record<string, unknown>;
}
