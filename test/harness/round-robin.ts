// A loopback HTTP load balancer that sends each request to the next backend in turn (no
// stickiness, keep-alive or not), to show that any replica can serve any step of a login. Like a
// real balancer's passive health check, a target that refuses the connection (a pod going away)
// is skipped for that request and the next one is tried; the request body is buffered for that.
import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface RoundRobin {
  readonly origin: string;
  /** How many requests each target served. */
  readonly served: number[];
  /** Where the n-th request went (index into targets). */
  readonly log: { path: string; target: number }[];
  close(): Promise<void>;
}

export async function startRoundRobin(
  targets: readonly string[],
  port: number,
): Promise<RoundRobin> {
  let next = 0;
  const served = targets.map(() => 0);
  const log: { path: string; target: number }[] = [];
  const server: Server = createServer((req, res) => {
    const first = next++ % targets.length;
    void readBody(req).then((body) => {
      const attempt = (tried: number): void => {
        const index = (first + tried) % targets.length;
        forward(req, body, res, targets[index] ?? '', (refused) => {
          if (tried + 1 < targets.length) attempt(tried + 1);
          else res.writeHead(502).end(String(refused));
        }).then(() => {
          served[index] = (served[index] ?? 0) + 1;
          log.push({ path: req.url ?? '', target: index });
        }, noop);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    served,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const noop = () => undefined;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Sends the request to `target`. Resolves once the target answered (the answer is piped back);
 * a refused connection calls `onRefused` instead and rejects; other errors answer 502.
 */
function forward(
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  target: string,
  onRefused: (err: Error) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const to = new URL(target);
    const upstream = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        // The Host header stays the balancer's, as behind a real load balancer.
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        resolve();
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      reject(err);
      if (err.code === 'ECONNREFUSED') onRefused(err);
      else if (!res.headersSent) res.writeHead(502).end(String(err));
    });
    upstream.end(body);
  });
}
