import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1, as the kernel hands out for port 0. Another process could take it
 * before the server binds; servers that fail to bind are retried by their starters.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
