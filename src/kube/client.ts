// The HTTP transport to one API server: a bounded, reused connection pool (Node's own http and
// https agents), JSON in and out, typed errors, retries of transient failures, watch streams, and a
// per-attempt observer for metrics. Typed, per-resource access is built on top in resource.ts.
//
// Why not undici: its HTTP parser is WebAssembly, and loading it with its JavaScript costs a
// process ≈11 MiB, and its first requests ≈12 MiB more of compiled code and buffers, where Node's
// built-in parser is already in the binary (50 TLS requests: 86.7 against 63.7 MiB RSS, with the
// programs' V8 flags). Every program here is a controller idling with a few watches open.
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { ClusterConnection } from './config.ts';
import { apiErrorFrom } from './errors.ts';
import { describeRequest } from './request-info.ts';
import { defaultRetryPolicy, retryDelay } from './retry.ts';
import type { RetryPolicy } from './retry.ts';
import { Transport } from './transport.ts';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json when a body is given; use PatchType for PATCH. */
  contentType?: string;
  signal?: AbortSignal;
}

export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategicMerge: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

/** One finished HTTP attempt, as metrics see it. */
export interface RequestRecord {
  verb: string;
  resource: string;
  /** HTTP status code, or `<error>` when no response arrived. */
  code: string;
  seconds: number;
}

export type RequestObserver = (record: RequestRecord) => void;

export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface KubeClientOptions {
  userAgent?: string;
  /** Upper bound of open connections to this server (default 64; each watch holds one). */
  maxConnections?: number;
  retry?: RetryPolicy;
  /** Time allowed for a non-watch request to send headers, and between body chunks. */
  requestTimeoutMs?: number;
  observer?: RequestObserver;
  /**
   * Largest response body (and watch event line) read from this server, in bytes; larger ones
   * fail with ResponseTooLarge. Set it for servers someone else names (an uploaded consumer
   * kubeconfig, a provider's kubeconfig): without it such a server could stream any amount into
   * this process's memory. Default: unbounded for bodies, 64 MiB per watch event.
   */
  maxResponseBytes?: number;
  /** Injected for tests; defaults to timers. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Shared {
  conn: ClusterConnection;
  transport: Transport;
  userAgent: string;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  observer: RequestObserver | undefined;
  maxResponseBytes: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  openWatches: number;
}

/** Another base URL over an existing connection pool (not exported: cluster() and withPath()). */
class ClusterView {
  readonly shared: Shared;
  readonly server: URL;
  constructor(shared: Shared, server: URL) {
    this.shared = shared;
    this.server = server;
  }
}

export class KubeClient {
  /** The base URL requests are relative to (may carry a path, e.g. `/clusters/root`). */
  readonly server: URL;
  readonly #shared: Shared;
  readonly #owner: boolean;

  constructor(conn: ClusterConnection | ClusterView, opts: KubeClientOptions = {}) {
    if (conn instanceof ClusterView) {
      this.server = conn.server;
      this.#shared = conn.shared;
      this.#owner = false;
      return;
    }
    this.server = new URL(conn.server);
    this.#owner = true;
    this.#shared = {
      conn,
      // HTTP/1.1: each watch holds a connection of the pool.
      transport: new Transport(this.server, conn, opts.maxConnections ?? 64),
      userAgent: opts.userAgent ?? 'kube-bind-ts',
      retry: opts.retry ?? defaultRetryPolicy,
      requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
      observer: opts.observer,
      maxResponseBytes: opts.maxResponseBytes ?? Number.POSITIVE_INFINITY,
      sleep: opts.sleep ?? ((ms, signal) => sleepTimer(ms, undefined, { signal })),
      openWatches: 0,
    };
  }

  /** Watches this client currently holds open (for leak checks and metrics). */
  get openWatches(): number {
    return this.#shared.openWatches;
  }

  /**
   * A client for the kcp logical cluster `name` (or `*` for a wildcard) on the same server and
   * connection pool. An existing `/clusters/<x>` suffix of the base URL is replaced.
   */
  cluster(name: string): KubeClient {
    const url = new URL(this.server.toString());
    const base = url.pathname.replace(/\/+$/, '').replace(/\/clusters\/[^/]+$/, '');
    url.pathname = `${base}/clusters/${name}`;
    return new KubeClient(new ClusterView(this.#shared, url));
  }

  /**
   * A client for another base path on the same server, credentials and connection pool, e.g. a
   * kcp virtual workspace next to the one this client talks to. Views share the pool: closing
   * them is a no-op, closing the client that made the pool closes them all.
   */
  withPath(path: string): KubeClient {
    const url = new URL(this.server.toString());
    url.pathname = path;
    return new KubeClient(new ClusterView(this.#shared, url));
  }

  /** Sends one request (retrying transient failures); resolves with the parsed JSON body. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#send(method, path, opts, false);
        const text = await readCapped(res, this.#shared.maxResponseBytes);
        return parseBody(text, res.headers['content-type']) as T;
      } catch (err) {
        const delay = opts.signal?.aborted
          ? undefined
          : retryDelay(method, err, attempt, this.#shared.retry);
        if (delay === undefined) throw err;
        await this.#shared.sleep(delay, opts.signal);
      }
    }
  }

  /**
   * Opens a watch on a collection path and yields its events until the server ends the stream,
   * the signal aborts, or the connection fails (the error is thrown). Not retried: restart policy
   * belongs to the caller (the informer).
   */
  async *watch<T = unknown>(
    path: string,
    query: Query,
    signal?: AbortSignal,
  ): AsyncGenerator<WatchEvent<T>> {
    const opts: RequestOptions = { query: { ...query, watch: true }, ...(signal && { signal }) };
    const res = await this.#send('GET', path, opts, true);
    this.#shared.openWatches++;
    try {
      yield* parseEventStream<T>(
        res,
        Math.min(this.#shared.maxResponseBytes, defaultMaxEventBytes),
      );
    } finally {
      this.#shared.openWatches--;
      res.destroy();
    }
  }

  get<T = unknown>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query && { query }), ...(signal && { signal }) });
  }

  create<T = unknown>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, ...(query && { query }) });
  }

  delete<T = unknown>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, {
      ...(body !== undefined && { body }),
      ...(query && { query }),
    });
  }

  /** Closes the connection pool; views from cluster() share it and are closed with it. */
  async close(): Promise<void> {
    if (this.#owner) await this.#shared.transport.close();
  }

  async #send(
    method: string,
    path: string,
    opts: RequestOptions,
    streaming: boolean,
  ): Promise<IncomingMessage> {
    const { conn, transport, observer, requestTimeoutMs } = this.#shared;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#shared.userAgent,
    };
    const auth = await conn.authorization?.();
    if (auth !== undefined) headers['authorization'] = auth;
    let body: string | null = null;
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const info = describeRequest(method, path, opts.query);
    const started = performance.now();
    const observe = (code: string): void =>
      observer?.({ ...info, code, seconds: (performance.now() - started) / 1000 });
    let res: IncomingMessage;
    try {
      res = await transport.send({
        path: this.#path(path, opts.query),
        method,
        headers,
        body,
        signal: opts.signal,
        // A watch is idle for long stretches; the server ends it after timeoutSeconds, so only
        // a connection silent for longer than that is dead.
        idleTimeoutMs: streaming ? watchBodyTimeoutMs(opts.query) : requestTimeoutMs,
      });
    } catch (err) {
      observe('<error>');
      throw err;
    }
    const status = res.statusCode ?? 0;
    observe(String(status));
    if (status < 200 || status > 299) {
      const parsed = await errorBody(res);
      throw apiErrorFrom(method, path, status, parsed, res.headers['retry-after']);
    }
    return res;
  }

  #path(path: string, query?: Query): string {
    const base = this.server.pathname.replace(/\/+$/, '');
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${base}${path}${q ? `?${q}` : ''}`;
  }
}

function watchBodyTimeoutMs(query: Query | undefined): number {
  const seconds = Number(query?.['timeoutSeconds'] ?? 0);
  return seconds > 0 ? (seconds + 30) * 1000 : 0;
}

/** A watch event larger than this is refused even from a trusted server (etcd stores ~1.5 MiB). */
const defaultMaxEventBytes = 64 * 2 ** 20;

/** A metav1.Status is a few hundred bytes; a larger error body is not worth holding. */
const maxErrorBodyBytes = 64 * 2 ** 10;

/** The server sent more than the client was set to read (KubeClientOptions.maxResponseBytes). */
export class ResponseTooLarge extends Error {
  constructor(limit: number) {
    super(`the server's response is larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

/**
 * The body as text, refusing (and dropping the connection) past `limit` bytes. Read with 'data'
 * events, not an async iterator: that costs a promise per chunk, which showed as client CPU on
 * every request of a sync burst.
 */
function readCapped(body: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        reject(new ResponseTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    body.once('error', reject);
    // Destroyed without an error (e.g. the pool closed): settle rather than wait for ever.
    body.once('close', () => {
      if (!body.readableEnded) reject(new Error('the response ended before its body did'));
    });
  });
}

/** An error response's Status, or its first bytes as text when it is not a small JSON one. */
async function errorBody(res: IncomingMessage): Promise<unknown> {
  try {
    return parseBody(await readCapped(res, maxErrorBodyBytes), res.headers['content-type']);
  } catch {
    return '(an error response that is not a Kubernetes Status)';
  }
}

function parseBody(text: string, contentType: string | string[] | undefined): unknown {
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  const json = ct === undefined || ct.includes('json');
  return text.length > 0 && json ? JSON.parse(text) : text;
}

/** Splits a watch response (one JSON event per line) into events. */
export async function* parseEventStream<T>(
  body: AsyncIterable<Uint8Array>,
  maxEventBytes = defaultMaxEventBytes,
): AsyncGenerator<WatchEvent<T>> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    // Characters, not bytes: at most 3× looser for non-ASCII, still bounded.
    if (buffered.length > maxEventBytes && buffered.indexOf('\n') < 0) {
      throw new ResponseTooLarge(maxEventBytes);
    }
    let start = 0;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n', start)) {
      const line = buffered.slice(start, nl);
      start = nl + 1;
      if (line.trim().length > 0) yield JSON.parse(line) as WatchEvent<T>;
    }
    buffered = buffered.slice(start);
  }
  buffered += decoder.decode();
  if (buffered.trim().length > 0) yield JSON.parse(buffered) as WatchEvent<T>;
}
