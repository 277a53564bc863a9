// `kubectl bind login <url>` (docs/protocol.md §6.1): discover the provider, listen on a loopback
// port, send the browser to the provider's login with `redirect_url`, `session_id`,
// `client_type=cli` and `cluster_id`, wait for the token (or the IdP's refusal, or the timeout),
// and store it as the current server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatTime } from '../kube/time.ts';
import { discoverProvider } from './client.ts';
import { parseServerArgument, readConfig, storeLogin, writeConfig } from './config.ts';
import { CommandError } from './errors.ts';
import { CallbackError, judgeLoginCallback, startLoopback } from './loopback.ts';
import type { LoginOptions } from './options.ts';

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  now(): number;
  /** Opens the URL in the user's browser, best effort. */
  openBrowser(url: string): void;
}

export async function login(opts: LoginOptions, io: CommandIO): Promise<void> {
  const server = parseServerArgument(opts.server, opts.cluster);
  const exportsUrl = discoveryUrl(server.url);
  const provider = await discoverProvider(exportsUrl);

  const loopback = await startLoopback(judgeLoginCallback);
  try {
    const target = authorizeUrl(provider.authenticatedUrl, {
      redirectUrl: loopback.redirectUrl,
      sessionId: newSessionId(),
      ...(server.cluster !== undefined && { cluster: server.cluster }),
    });
    const name = provider.prettyName ? `${provider.prettyName} at ${server.origin}` : server.origin;
    if (opts.skipBrowser) {
      io.stderr(`To log in to ${name}, open this URL in a browser:\n\n  ${target.href}\n\n`);
    } else {
      io.stderr(
        `Opening a browser to log in to ${name}. If none opens, visit:\n\n  ${target.href}\n\n`,
      );
      io.openBrowser(target.href);
    }
    io.stderr(
      `Waiting for the login${opts.timeoutMs > 0 ? ` (at most ${opts.timeoutText})` : ''}…\n`,
    );

    const callback = await withTimeout(loopback.result, opts.timeoutMs).catch((err: unknown) => {
      if (err instanceof TimedOut) {
        throw new CommandError(
          `timed out after ${opts.timeoutText} waiting for the browser login to ${server.origin}`,
        );
      }
      if (err instanceof CallbackError) throw new CommandError(err.message);
      throw err;
    });

    const config = await readConfig(opts.configFile);
    const expiresAt = io.now() + callback.expiresInSeconds * 1000;
    const key = storeLogin(
      config,
      {
        url: server.origin,
        ...(callback.clusterId !== undefined && { cluster: callback.clusterId }),
        accessToken: callback.accessToken,
        tokenType: callback.tokenType,
      },
      expiresAt,
    );
    await writeConfig(opts.configFile, config);
    io.stdout(`Logged in to ${key}; the login is valid until ${formatTime(expiresAt)}.\n`);
  } finally {
    loopback.close();
  }
}

/** Where discovery is asked: the typed URL's origin and query, path `/api/exports`. */
export function discoveryUrl(typed: URL): URL {
  const url = new URL(typed.href);
  url.pathname = '/api/exports';
  url.hash = '';
  return url;
}

/** The login URL: the provider's authenticatedURL with the CLI's parameters set (overriding). */
export function authorizeUrl(
  authenticated: URL,
  params: { redirectUrl: string; sessionId: string; cluster?: string },
): URL {
  const url = new URL(authenticated.href);
  url.searchParams.set('redirect_url', params.redirectUrl);
  url.searchParams.set('session_id', params.sessionId);
  url.searchParams.set('client_type', 'cli');
  if (params.cluster !== undefined) url.searchParams.set('cluster_id', params.cluster);
  return url;
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 26 random characters of the base32 alphabet (130 bits), like Go's crypto/rand.Text(). */
export function newSessionId(): string {
  return Array.from(randomBytes(26), (b) => base32[b & 31]).join('');
}

/** A wait given up after its --timeout. */
export class TimedOut extends Error {}

/** `promise`, or a TimedOut rejection after `ms` (0: no limit). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Opens a URL with the desktop's handler; failures are ignored (the URL is printed anyway). */
export function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No handler: the user opens the printed URL.
  }
}
