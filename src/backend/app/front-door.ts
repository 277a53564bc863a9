// Wiring of the HTTP front door: the session store, the shared keys, the OIDC relying party (or
// the embedded development issuer), the login and binding services, and the server. Every
// replica runs it, leader or not, with its own view of the provider's clusters.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../runtime/clock.ts';
import { releaseImage } from '../../cli/version.ts';
import { cliTokens } from '../auth/tokens.ts';
import { sessionCookies } from '../auth/cookies.ts';
import { resolveSharedKeys } from '../auth/keys.ts';
import { LoginService } from '../auth/login.ts';
import { discoverRelyingParty, relyingParty } from '../auth/oidc.ts';
import { ServedClusters } from '../binding/clusters.ts';
import { BindingService } from '../binding/service.ts';
import type { ProvisionOn } from '../controllers/bindableresourcesrequest/controller.ts';
import { buildServer } from '../http/server.ts';
import type { FrontDoorDeps } from '../http/deps.ts';
import type { DevUser } from '../oidc-dev/issuer.ts';
import type { BackendOptions, LoginOptions } from '../options/options.ts';
import { MemorySessionStore } from '../session/memory.ts';
import type { SessionStore } from '../session/store.ts';
import type { ProviderPlatform } from './platform.ts';

/** The kube-bind release whose protocol this backend speaks (BindingProvider.version). */
export const protocolVersion = 'v0.8.1';
/**
 * The konnector the backend hands out (konnector manifests, one-click apply): protocol.md §3.9 says the
 * konnector image of the backend's version, which for this backend is our konnector of its
 * release, not upstream's.
 */
export const defaultKonnectorImage = releaseImage('konnector');
const webRoot = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface FrontDoorContext {
  /**
   * Who the embedded development issuer logs in (default `kube-bind-embedded-user`); tests give
   * each front door its own user, so that RBAC granted in one test cannot leak into another.
   */
  developmentUser?: DevUser;
  /** Where the served clusters come from. */
  platform: ProviderPlatform;
  provision: ProvisionOn;
  metrics: Registry;
  clock: Clock;
  log: Logger;
}

export interface RunningFrontDoor {
  app: FastifyInstance;
  /** The address it listens on (the port is real even when the flag said 0). */
  url: string;
  /** What the front door's own provider engaged and holds open (for /metrics). */
  engagedClusters: () => number;
  openWatches: () => number;
  stop(): Promise<void>;
}

export async function startFrontDoor(
  options: BackendOptions,
  ctx: FrontDoorContext,
): Promise<RunningFrontDoor> {
  const { log, clock } = ctx;
  const stopServing = new AbortController();
  const { provider, settled, openWatches } = ctx.platform.newProvider('front-door');
  const clusters = new ServedClusters({ naming: ctx.platform.naming, settled, log });
  const serving = provider.run(clusters, stopServing.signal);
  const konnector = {
    image: defaultKonnectorImage,
    hostAliases: options.server.konnectorHostAliases,
  };
  const binding = new BindingService({ clusters, provision: ctx.provision, clock, log, konnector });
  let store: SessionStore | undefined;
  try {
    const deps: FrontDoorDeps = {
      config: {
        prettyName: options.prettyName,
        version: protocolVersion,
        ownOrigin: options.login ? new URL(options.login.oidc.callbackUrl).origin : '',
        tls: options.server.tls !== undefined,
        frontend: options.server.frontend,
        webRoot,
        developmentIssuer: options.login?.oidc.type === 'embedded',
        konnectorHostAliases: options.server.konnectorHostAliases,
        konnectorImage: defaultKonnectorImage,
        authorizationGroups:
          options.login?.oidc.type === 'embedded' ? ['system:authenticated'] : [],
      },
      binding,
      pingSessions: () => store?.ping() ?? Promise.resolve(),
      metrics: ctx.metrics,
      log,
    };
    if (options.login) {
      store = await sessionStore(options.login, clock, log);
      Object.assign(deps, await loginDeps(options.login, store, clock, ctx.developmentUser));
    }
    const app = await buildServer(deps, {
      server: options.server,
      frontendDisabled: options.frontendDisabled,
      loginRateLimit: options.login?.rateLimit,
      clock,
    });
    const url = await app.listen({ host: options.server.host, port: options.server.port });
    log.info({ url, frontendDisabled: options.frontendDisabled }, 'serving HTTP');
    let stopped: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      await app.close();
      stopServing.abort();
      await serving;
      await store?.close();
    };
    // Idempotent: the process and its tests may both ask.
    return {
      app,
      url,
      engagedClusters: () => clusters.size,
      openWatches,
      stop: () => (stopped ??= stop()),
    };
  } catch (err) {
    stopServing.abort();
    await serving;
    await store?.close();
    throw err;
  }
}

async function sessionStore(login: LoginOptions, clock: Clock, log: Logger): Promise<SessionStore> {
  const s = login.sessions;
  const maxPendingLogins = login.maxPendingLogins;
  if (s.kind === 'memory') return new MemorySessionStore({ clock, maxPendingLogins });
  // Loaded only when used: the redis client and its dependencies are ~20 MiB of a process.
  const { connectRedisStore } = await import('../session/redis.ts');
  return connectRedisStore(
    {
      maxPendingLogins,
      address: s.address,
      database: s.database,
      keyPrefix: s.keyPrefix,
      ...(s.username !== undefined && { username: s.username }),
      ...(s.password !== undefined && { password: s.password }),
      ...(s.tls && { tls: s.caPem === undefined ? {} : { caPem: s.caPem } }),
    },
    log,
  );
}

async function loginDeps(
  login: LoginOptions,
  store: SessionStore,
  clock: Clock,
  developmentUser: DevUser | undefined,
): Promise<Pick<FrontDoorDeps, 'login' | 'extraRoutes'>> {
  const keys = await resolveSharedKeys(
    {
      ...(login.keys.cookieSigning && { cookieSigningKey: login.keys.cookieSigning }),
      ...(login.keys.cookieEncryption && { cookieEncryptionKey: login.keys.cookieEncryption }),
      ...(login.keys.tokenSigning && { tokenSigningKey: login.keys.tokenSigning }),
    },
    store,
  );
  const { oidc } = login;
  const base = {
    issuerUrl: oidc.issuerUrl,
    callbackUrl: oidc.callbackUrl,
    ...(oidc.caPem !== undefined && { caPem: oidc.caPem }),
  };
  let extraRoutes: FrontDoorDeps['extraRoutes'];
  let rp;
  if (oidc.type === 'embedded') {
    // The development issuer (and its JWT signing) loads only in that mode.
    const { devIssuerCredentials, registerDevIssuer } = await import('../oidc-dev/issuer.ts');
    const client = devIssuerCredentials();
    // registerDevIssuer logs the development-only warning when the server is built.
    extraRoutes = (app) =>
      registerDevIssuer(app, {
        issuerUrl: oidc.issuerUrl,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        redirectUris: [oidc.callbackUrl],
        ...(developmentUser && { user: developmentUser }),
      });
    // Lazy: the issuer is this very server, which is not listening yet.
    rp = relyingParty({ ...base, clientId: client.clientId, clientSecret: client.clientSecret });
  } else {
    rp = await discoverRelyingParty({
      ...base,
      clientId: oidc.clientId ?? '',
      ...(oidc.clientSecret !== undefined && { clientSecret: oidc.clientSecret }),
    });
  }
  const service = new LoginService({
    relyingParty: rp,
    store,
    tokens: cliTokens(keys, clock),
    cookies: sessionCookies(keys, clock),
    clock,
    sessionTtlMs: login.sessionTtlMs,
    ownOrigin: new URL(oidc.callbackUrl).origin,
  });
  return { login: service, ...(extraRoutes && { extraRoutes }) };
}
