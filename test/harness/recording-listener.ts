// A loopback listener that records everything that reaches it: the stand-in for an attacker's
// server in tests of outside kubeconfigs and of the UI proxy. It speaks TLS with a certificate
// from a throw-away CA (so a client that was fooled into skipping
// verification sends its request, headers included) or plain HTTP; either way every TCP
// connection is counted, so "it received nothing" means not even a connection.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { createCertificateAuthority } from './pki.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface RecordingListener {
  /** e.g. `https://127.0.0.1:43121`. */
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  requests(): RecordedRequest[];
}

export interface ListenerOptions {
  tls?: boolean;
  /** Loopback address to bind (default 127.0.0.1). */
  host?: string;
  /** Status and body of every answer (default: 404, a text page: not Kubernetes). */
  answer?: { status: number; type: string; body: string };
}

/** Starts a recording listener that stops when the current test finishes. */
export async function recordingListener(opts: ListenerOptions = {}): Promise<RecordingListener> {
  const host = opts.host ?? '127.0.0.1';
  const answer = opts.answer ?? { status: 404, type: 'text/html', body: '<h1>Not Found</h1>' };
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  };
  let server: Server;
  if (opts.tls) {
    const ca = await createCertificateAuthority('recording listener CA');
    const serving = await ca.issueServing({ dns: ['localhost'], ips: [host] });
    server = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, handler);
  } else {
    server = createHttpServer(handler);
  }
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    connections: () => connections,
    requests: () => [...requests],
  };
}
