// `kubectl bind [<url>]` without a command (docs/protocol.md §6.5): the provider's web UI does the
// login and the choice of template; this command opens it with a loopback listener as
// `redirect_url`, waits for the UI to hand over the BindingResponse, and binds it as `apiservice`
// does.
import { clusterIdentity } from './apiservice.ts';
import { bindFromResponse, type BindIO } from './binder.ts';
import { readConfig, selectServer } from './config.ts';
import { CommandError } from './errors.ts';
import { openConsumerCluster } from './kubeconfig.ts';
import { newSessionId, TimedOut, withTimeout } from './login.ts';
import {
  CallbackError,
  bindingCallbackJudge,
  startLoopback,
  type BindingCallback,
} from './loopback.ts';
import type { BindOptions } from './options.ts';

/** How long each export request (and the konnector) may take in this flow. */
const requestTimeout = { timeoutMs: 10 * 60_000, timeoutText: '10m' };

export interface BindCommandIO extends BindIO {
  openBrowser(url: string): void;
}

export async function bindCommand(opts: BindOptions, io: BindCommandIO): Promise<void> {
  const config = await readConfig(opts.configFile);
  // The UI logs in on its own (a cookie); only the stored URL and cluster are used here.
  const { key, entry } = selectServer(config, opts.server);

  const consumer = await openConsumerCluster(opts);
  try {
    const identity =
      opts.clusterIdentity ??
      (await clusterIdentity(consumer.client, opts.clusterIdentityNamespace));
    const sessionId = newSessionId();
    const loopback = await startLoopback(bindingCallbackJudge(sessionId));
    let received: BindingCallback;
    try {
      const target = uiUrl(entry.url, {
        sessionId,
        redirectUrl: loopback.redirectUrl,
        ...(entry.cluster !== undefined && { cluster: entry.cluster }),
        consumerId: identity,
      });
      if (opts.skipBrowser) {
        io.stderr(`To bind from ${key}, open this URL in a browser:\n\n  ${target.href}\n\n`);
      } else {
        io.stderr(
          `Opening a browser to bind from ${key}. If none opens, visit:\n\n  ${target.href}\n\n`,
        );
        io.openBrowser(target.href);
      }
      io.stderr(
        `Waiting for the binding from the browser${opts.timeoutMs > 0 ? ` (at most ${opts.timeoutText})` : ''}…\n`,
      );
      received = await withTimeout(loopback.result, opts.timeoutMs).catch((err: unknown) => {
        if (err instanceof TimedOut) {
          throw new CommandError(
            `timed out after ${opts.timeoutText} waiting for the binding from the browser`,
          );
        }
        if (err instanceof CallbackError) throw new CommandError(err.message);
        throw err;
      });
    } finally {
      loopback.close();
    }
    if (received.consumerId !== '' && received.consumerId !== identity) {
      throw new CommandError(
        `the UI bound for consumer "${received.consumerId}", not for this cluster (${identity})`,
      );
    }
    io.stderr('Received the binding from the browser.\n');
    await bindFromResponse(received.bindingResponse, consumer, { ...opts, ...requestTimeout }, io);
  } finally {
    await consumer.client.close();
  }
}

/** The UI's page with the CLI's parameters: `<server>/?session_id&redirect_url&cluster_id&consumer_id`. */
export function uiUrl(
  server: string,
  params: { sessionId: string; redirectUrl: string; cluster?: string; consumerId: string },
): URL {
  const url = new URL('/', server);
  url.searchParams.set('session_id', params.sessionId);
  url.searchParams.set('redirect_url', params.redirectUrl);
  if (params.cluster !== undefined) url.searchParams.set('cluster_id', params.cluster);
  url.searchParams.set('consumer_id', params.consumerId);
  return url;
}
