// A loopback HTTP load balancer that sends each request to the next backend in turn (no
// stickiness, keep-alive or not), to show that any replica can serve any step of a login.
import { request as httpRequest, createServer, type Server } from 'node:http';

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
    const index = next++ % targets.length;
    served[index] = (served[index] ?? 0) + 1;
    log.push({ path: req.url ?? '', target: index });
    const to = new URL(targets[index] ?? '');
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
      },
    );
    upstream.on('error', (err) => {
      res.writeHead(502).end(String(err));
    });
    req.pipe(upstream);
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
