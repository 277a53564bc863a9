import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1, as the kernel hands out for port 0. Another process could take it
 * before the server binds: start servers through withFreshPorts(), which retries that case.
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

/**
 * Runs `start` (which picks its ports with freePort()) again when the server it started failed
 * because a port was taken in the meantime; any other failure is thrown at once.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const portTaken = err instanceof Error && /address already in use/i.test(err.message);
      if (!portTaken || attempt >= attempts) throw err;
    }
  }
}
