// A loopback TCP proxy in front of a server, to cut a client off the network on purpose: the
// server keeps running (other clients still write), only this client's connections break.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface TcpProxy {
  /** `https://127.0.0.1:<port>` when the target URL is https, with the target's path. */
  readonly url: string;
  /** Breaks every open connection and refuses new ones until reconnect(). */
  disconnect(): void;
  reconnect(): void;
  /** Connections accepted so far (each watch or request the client opened). */
  readonly accepted: number;
  /** Client connections open right now. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const clients = new WeakSet<Socket>();
  let blocked = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted++;
    clients.add(client);
    const upstream = connect(Number(to.port), to.hostname);
    // Either side going away takes the other with it, so no half-open pair lingers.
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        closeBoth();
      });
      s.on('error', closeBoth);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const url = new URL(target);
  url.host = `127.0.0.1:${address.port}`;
  const cutAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: url.toString().replace(/\/$/, ''),
    disconnect: () => {
      blocked = true;
      cutAll();
    },
    reconnect: () => {
      blocked = false;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return [...sockets].filter((s) => clients.has(s)).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
