// A private redis-server for tests: loopback only, a free port, no persistence (nothing is
// written to disk, so a restart loses every key), optionally with a password and TLS.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { createCertificateAuthority } from './pki.ts';
import { freePort, withFreshPorts } from './ports.ts';
import { ManagedProcess, waitUntilReady } from './process.ts';

export interface RedisServerOptions {
  /** Parent directory; the server's logs and certificates live in `<baseDir>/<name>`. */
  baseDir: string;
  name?: string;
  /** Require this password (`--requirepass`). */
  password?: string;
  /** Serve TLS only, with a certificate for 127.0.0.1 and localhost from a fresh CA. */
  tls?: boolean;
}

export interface RedisServer {
  /** 127.0.0.1:<port> */
  readonly address: string;
  /** The CA that signed the server certificate, when started with TLS. */
  readonly caPem: string | undefined;
  readonly process: ManagedProcess;
  /**
   * Stops the server, runs `whileDown` (if given), and starts it again on the same port; resolves
   * when it answers again. Every key is gone afterwards.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** The binary: `KBT_REDIS_SERVER_BIN`, else Debian's path, else whatever PATH has. */
function redisServerPath(): string {
  const fromEnv = process.env['KBT_REDIS_SERVER_BIN'];
  if (fromEnv) return fromEnv;
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
}

interface TlsFiles {
  caPem: string;
  args: string[];
}

export async function startRedis(opts: RedisServerOptions): Promise<RedisServer> {
  const name = opts.name ?? 'redis';
  const dir = join(opts.baseDir, name);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const tls = opts.tls ? await writeTlsFiles(dir) : undefined;

  const start = async (port: number): Promise<ManagedProcess> => {
    const proc = new ManagedProcess({
      name,
      command: redisServerPath(),
      args: serverArgs(port, dir, opts.password, tls),
      logDir,
    });
    try {
      await waitUntilReady(proc, 'answering PING', () => answersPing(port, tls?.caPem), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return proc;
  };

  let port = 0;
  let proc = await withFreshPorts(async () => start((port = await freePort())));
  return {
    address: `127.0.0.1:${port}`,
    caPem: tls?.caPem,
    get process() {
      return proc;
    },
    restart: async (whileDown) => {
      await proc.stop();
      await whileDown?.();
      proc = await start(port);
    },
    stop: async () => {
      await proc.stop();
    },
  };
}

function serverArgs(
  port: number,
  dir: string,
  password: string | undefined,
  tls: TlsFiles | undefined,
): string[] {
  return [
    ...['--bind', '127.0.0.1', '--dir', dir, '--logfile', ''],
    // No RDB snapshots and no append-only file: nothing survives a restart.
    ...['--save', '', '--appendonly', 'no'],
    ...(tls ? ['--port', '0', '--tls-port', String(port), ...tls.args] : ['--port', String(port)]),
    ...(password === undefined ? [] : ['--requirepass', password]),
  ];
}

async function writeTlsFiles(dir: string): Promise<TlsFiles> {
  const ca = await createCertificateAuthority('redis test CA');
  const serving = await ca.issueServing({ dns: ['localhost'], ips: ['127.0.0.1'] });
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir, { recursive: true });
  const file = (fileName: string, pem: string): string => {
    const path = join(pkiDir, fileName);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  return {
    caPem: ca.certPem,
    args: [
      ...['--tls-cert-file', file('server.crt', serving.certPem)],
      ...['--tls-key-file', file('server.key', serving.keyPem)],
      ...['--tls-ca-cert-file', file('ca.crt', ca.certPem)],
      // Clients prove nothing with certificates here; the password (if any) authenticates.
      ...['--tls-auth-clients', 'no'],
    ],
  };
}

/**
 * Sends an inline PING over a raw connection; any reply (PONG, or NOAUTH when a password is
 * required) shows the server is serving. Independent of the client library under test.
 */
function answersPing(port: number, caPem: string | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      caPem === undefined
        ? connectTcp({ host: '127.0.0.1', port })
        : connectTls({ host: '127.0.0.1', port, ca: caPem });
    const timer = setTimeout(() => {
      socket.destroy(new Error('no reply to PING within 2s'));
    }, 2_000);
    socket.once(caPem === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', (reply) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(/^(\+PONG|-NOAUTH)/.test(reply.toString('latin1')));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
