// One API server's connection pool and the sending of one HTTP/1.1 request over it, on Node's
// built-in http and https modules. What the pool does not give by itself is added here: a bound
// on the time to open a connection, and on how long a request may sit with nothing arriving.
// Everything above (retries, errors, JSON) lives in client.ts.
import type { Agent as HttpAgent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ClusterConnection } from './config.ts';

// Not an ES import (why: eslint.config.js, the builtins rule): it would load Node's bundled undici.
const { Agent: PlainAgent, request: httpRequest } = process.getBuiltinModule('node:http');

/** A connection to the server could not be opened in time: nothing was sent. */
export const connectTimeoutCode = 'KUBE_CONNECT_TIMEOUT';
/** Nothing arrived on an open request for too long: it may have been acted on. */
export const idleTimeoutCode = 'KUBE_IDLE_TIMEOUT';

/** The time allowed to open a TCP connection (as undici and client-go's dialer: 10 s / 30 s). */
const connectTimeoutMs = 10_000;

/** A transport failure with a code retry.ts can classify. */
export class TransportError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

export interface Outgoing {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body: string | null;
  signal: AbortSignal | undefined;
  /** Fail when nothing arrives for this long (0: never), from sending until the body ends. */
  idleTimeoutMs: number;
}

export class Transport {
  readonly #server: URL;
  /** Where every request goes (an IPv6 host without its URL brackets). */
  readonly #target: { protocol: string; hostname: string; port: string };
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(server: URL, conn: ClusterConnection, maxConnections: number) {
    this.#server = server;
    this.#target = {
      protocol: server.protocol,
      hostname: server.hostname.replace(/^\[|\]$/g, ''),
      port: server.port,
    };
    const pool = { keepAlive: true, maxSockets: maxConnections };
    if (server.protocol === 'https:') {
      this.#agent = new HttpsAgent({
        ...pool,
        ...(conn.caPem !== undefined && { ca: conn.caPem }),
        ...(conn.certPem !== undefined && { cert: conn.certPem }),
        ...(conn.keyPem !== undefined && { key: conn.keyPem }),
        ...(conn.tlsServerName !== undefined && { servername: conn.tlsServerName }),
        rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
      });
      this.#request = httpsRequest;
    } else {
      this.#agent = new PlainAgent(pool);
      this.#request = httpRequest;
    }
  }

  /** Sends a request; resolves with the response once its headers arrived (body unread). */
  send(out: Outgoing): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { ...out.headers };
    if (out.body !== null) headers['content-length'] = Buffer.byteLength(out.body);
    return new Promise((resolve, reject) => {
      const req = this.#request({
        ...this.#target,
        path: out.path,
        method: out.method,
        headers,
        agent: this.#agent,
        ...(out.signal && { signal: out.signal }),
        ...(out.idleTimeoutMs > 0 && { timeout: out.idleTimeoutMs }),
      });
      let response: IncomingMessage | undefined;
      // Later errors (after the response) also arrive on the body stream; rejecting is a no-op.
      req.on('error', reject);
      req.once('response', (res) => {
        response = res;
        resolve(res);
      });
      // Emitted by the socket's inactivity timer: fails the pending promise, or the body stream
      // of a response already handed out (a watch).
      req.on('timeout', () => {
        (response ?? req).destroy(
          new TransportError(
            `no data from ${this.#server.host} for ${String(out.idleTimeoutMs)} ms`,
            idleTimeoutCode,
          ),
        );
      });
      req.once('socket', (socket) => {
        if (!socket.connecting) return; // a kept-alive connection, already open
        const timer = setTimeout(() => {
          req.destroy(
            new TransportError(
              `could not connect to ${this.#server.host} within ${String(connectTimeoutMs)} ms`,
              connectTimeoutCode,
            ),
          );
        }, connectTimeoutMs);
        const clear = () => clearTimeout(timer);
        socket.once('connect', clear);
        socket.once('close', clear);
      });
      req.end(out.body ?? undefined);
    });
  }

  /** Closes every connection, open watches included. */
  close(): Promise<void> {
    this.#agent.destroy();
    return Promise.resolve();
  }
}
