// The HTTP transport to one API server: a bounded, reused connection pool (undici), JSON in and
// out, and typed errors. Higher-level helpers (typed resources, watch, retries) build on request().
import { Agent } from 'undici';
import type { ClusterConnection } from './config.ts';
import { apiErrorFrom } from './errors.ts';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json when a body is given; use the patch types for PATCH. */
  contentType?: string;
  signal?: AbortSignal;
}

export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategicMerge: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface KubeClientOptions {
  userAgent?: string;
  /** Upper bound of open connections to this server. */
  maxConnections?: number;
}

export class KubeClient {
  readonly server: URL;
  readonly #conn: ClusterConnection;
  readonly #agent: Agent;
  readonly #userAgent: string;

  constructor(conn: ClusterConnection, opts: KubeClientOptions = {}) {
    this.#conn = conn;
    this.server = new URL(conn.server);
    this.#userAgent = opts.userAgent ?? 'kube-bind-ts';
    this.#agent = new Agent({
      connections: opts.maxConnections ?? 16,
      connect: {
        ...(conn.caPem !== undefined && { ca: conn.caPem }),
        ...(conn.certPem !== undefined && { cert: conn.certPem }),
        ...(conn.keyPem !== undefined && { key: conn.keyPem }),
        ...(conn.tlsServerName !== undefined && { servername: conn.tlsServerName }),
        rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
      },
    });
  }

  /** Sends one request; resolves with the parsed JSON body, or throws a typed KubeApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    const auth = await this.#conn.authorization?.();
    if (auth !== undefined) headers['authorization'] = auth;
    let body: string | null = null;
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const fullPath = this.#path(path, opts.query);
    const res = await this.#agent.request({
      origin: this.server.origin,
      path: fullPath,
      method,
      headers,
      body,
      signal: opts.signal ?? null,
    });
    const text = await res.body.text();
    const parsed: unknown =
      text.length > 0 && looksLikeJson(res.headers['content-type']) ? JSON.parse(text) : text;
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw apiErrorFrom(method, path, res.statusCode, parsed);
    }
    return parsed as T;
  }

  get<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  create<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body === undefined ? {} : { body });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #path(path: string, query?: Query): string {
    const base = this.server.pathname.replace(/\/+$/, '');
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${base}${path}${q ? `?${q}` : ''}`;
  }
}

function looksLikeJson(contentType: string | string[] | undefined): boolean {
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  return ct === undefined || ct.includes('json');
}
