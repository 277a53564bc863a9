// dex, the real OIDC provider of the end-to-end tests, with in-memory storage and the
// `mockCallback` connector (it logs in a fixed user without a form), on a loopback port.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { ManagedProcess, waitUntilReady } from './process.ts';
import { toolPath } from './tools.ts';

export interface DexClient {
  id: string;
  secret: string;
  redirectURIs: string[];
}

export interface DexOptions {
  name?: string;
  baseDir: string;
  clients?: readonly DexClient[];
  /**
   * mockCallback connector ids (default one, `mock`). Each logs in the same fixed user, but dex
   * gives each connector's user its own `sub`: several ids make several identities of one issuer.
   */
  mockConnectors?: readonly string[];
}

export interface Dex {
  readonly issuer: string;
  readonly clients: readonly DexClient[];
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * The harness's default client. Its redirect URI is never served: a test that plays the relying
 * party reads the code from the Location header instead of following the last redirect.
 */
export const testRedirectURI = 'http://127.0.0.1:1/kube-bind-ts/callback';

export const defaultDexClient = (redirectURIs: string[] = [testRedirectURI]): DexClient => ({
  id: 'kube-bind',
  secret: randomBytes(16).toString('hex'),
  redirectURIs,
});

export async function startDex(opts: DexOptions): Promise<Dex> {
  const name = opts.name ?? 'dex';
  const dir = join(opts.baseDir, name);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/dex`;
  const clients = opts.clients ?? [defaultDexClient()];
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      issuer,
      storage: { type: 'memory' },
      web: { http: `127.0.0.1:${port}` },
      logger: { level: 'info', format: 'json' },
      oauth2: { skipApprovalScreen: true, responseTypes: ['code'] },
      staticClients: clients.map((c) => ({
        id: c.id,
        name: c.id,
        secret: c.secret,
        redirectURIs: c.redirectURIs,
      })),
      connectors: (opts.mockConnectors ?? ['mock']).map((id) => ({
        type: 'mockCallback',
        id,
        name: `Mock login ${id}`,
      })),
    }),
  );
  const proc = new ManagedProcess({
    name,
    command: toolPath('dex'),
    args: ['serve', configPath],
    logDir,
  });
  try {
    await waitUntilReady(proc, 'serving discovery', async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      return res.ok;
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    issuer,
    clients,
    process: proc,
    stop: async () => {
      await proc.stop();
    },
  };
}
