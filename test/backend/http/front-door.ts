// Test helpers for the HTTP front door: the front door in process on a loopback port (the real
// server, login service and binding service against the shared kube-apiserver), and a CLI that
// logs in the way `kubectl bind login` does, following the browser's redirects by hand.
import { onTestFinished } from 'vitest';
import { Registry } from 'prom-client';
import { startFrontDoor, type RunningFrontDoor } from '../../../src/backend/app/front-door.ts';
import { backendControllers, provisionerFor } from '../../../src/backend/app/app.ts';
import { kubernetesPlatform } from '../../../src/backend/app/platform.ts';
import { wildwestCRDs } from '../../../src/apis/examples/wildwest.ts';
import { contractNamespaceName } from '../../../src/apis/kubebind/identity-hash.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { installCRDs } from '../../../src/kube/crds.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../../src/kube/resources.ts';
import { runControllers } from '../../harness/controllers.ts';
import { loadBackendOptions, type BackendOptions } from '../../../src/backend/options/options.ts';
import { readFile } from 'node:fs/promises';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { controlPlane, eventually, testLogger, uniqueSuffix } from '../../harness/context.ts';
import { freePort } from '../../harness/ports.ts';
import { Agent, fetch as undiciFetch } from 'undici';

/** Readiness is probed without checking the (test) serving certificate. */
const readyDispatcher = new Agent({ connect: { rejectUnauthorized: false } });

export interface FrontDoorUnderTest extends RunningFrontDoor {
  origin: string;
  options: BackendOptions;
  /** The subject the embedded issuer logs in: unique per front door, so RBAC never leaks. */
  user: string;
}

/** The front door with the embedded issuer (or the given login flags) on a free port. */
export async function frontDoor(
  admin: KubeClient,
  flags: readonly string[] = [],
  env: Record<string, string> = {},
  port?: number,
): Promise<FrontDoorUnderTest> {
  port ??= await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const external = flags.some(
    (f) => f.startsWith('--oidc-issuer-url') || f === '--frontend-disabled',
  );
  const login = external
    ? []
    : [
        '--oidc-type=embedded',
        `--oidc-issuer-url=${origin}/oidc`,
        `--oidc-callback-url=${origin}/api/callback`,
      ];
  const options = await loadBackendOptions(
    [`--listen-address=127.0.0.1:${port}`, ...login, ...flags],
    { readFile: (path) => readFile(path, 'utf8'), env },
  );
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const log = testLogger();
  const user = `test-user-${uniqueSuffix()}`;
  const platform = kubernetesPlatform(options, {
    connection: conn,
    client: admin,
    clock: realClock,
    log,
  });
  const running = await startFrontDoor(options, {
    developmentUser: { subject: user, email: `${user}@example.com`, groups: ['engineering'] },

    platform,
    provision: provisionerFor(options, { log, clock: realClock }, platform.targetFor),
    metrics: new Registry(),
    clock: realClock,
    log,
  });
  onTestFinished(() => running.stop());
  // Like a load balancer, tests send requests only once the replica is ready (caches synced).
  const scheme = options.server.tls ? 'https' : 'http';
  await eventually('the front door to be ready', async () =>
    (await undiciFetch(`${running.url}/readyz`, { dispatcher: readyDispatcher })).ok
      ? true
      : undefined,
  );
  return { ...running, origin: `${scheme}://127.0.0.1:${port}`, options, user };
}

/** One hop of a redirect chain, without following it. */
export async function hop(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual' });
}

/**
 * Follows redirects from `start` until one leaves for `until` (the CLI's loopback listener, not
 * actually listening) and returns that URL; cookies set on the way are kept per origin.
 */
export async function followUntil(start: string, until: string, jar = new Map<string, string>()) {
  let url = start;
  for (let i = 0; i < 10; i++) {
    if (url.startsWith(until)) return new URL(url);
    const origin = new URL(url).origin;
    const res = await hop(url, { headers: cookieHeader(jar, origin) });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(`${origin} ${pair.slice(0, eq)}`, pair.slice(eq + 1));
    }
    const next = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !next) {
      throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    }
    url = new URL(next, url).href;
  }
  throw new Error(`too many redirects from ${start}`);
}

function cookieHeader(jar: Map<string, string>, origin: string): Record<string, string> {
  const pairs = [...jar]
    .filter(([k]) => k.startsWith(`${origin} `))
    .map(([k, v]) => `${k.slice(origin.length + 1)}=${v}`);
  return pairs.length > 0 ? { cookie: pairs.join('; ') } : {};
}

/** What `kubectl bind login` ends with: the token the backend handed the loopback listener. */
export async function cliLogin(origin: string, sessionId = randomSessionId()) {
  const provider = (await (await fetch(`${origin}/api/exports`)).json()) as {
    authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[];
  };
  const authorize = new URL(
    provider.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL ?? '',
  );
  const loopback = 'http://127.0.0.1:1/callback';
  authorize.searchParams.set('redirect_url', loopback);
  authorize.searchParams.set('session_id', sessionId);
  authorize.searchParams.set('client_type', 'cli');
  const back = await followUntil(authorize.href, loopback);
  return {
    sessionId,
    accessToken: back.searchParams.get('access_token') ?? '',
    tokenType: back.searchParams.get('token_type') ?? '',
    expiresIn: Number(back.searchParams.get('expires_in')),
    redirect: back,
  };
}

/** 26 characters of the base32 alphabet, like Go's crypto/rand.Text(). */
export function randomSessionId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from({ length: 26 }, () => alphabet[Math.floor(Math.random() * 32)]).join('');
}

/**
 * Lets a user or group bind on the shared cluster for this test, as the cluster controller does
 * for --oidc-allowed-users/-groups (its own binding is shared by every test, so not used here).
 */
export async function allowToBind(
  admin: KubeClient,
  subject: { kind: 'User' | 'Group'; name: string },
): Promise<void> {
  const name = `test-bind-${uniqueSuffix()}`;
  await grantBind(admin, subject, name);
  onTestFinished(async () => {
    await new ResourceClient(admin, ClusterRoleBindings).delete(name).catch(() => undefined);
    await new ResourceClient(admin, ClusterRoles).delete(name).catch(() => undefined);
  });
}

/** The ClusterRole and binding `name` that let `subject` bind (kept until removed). */
export async function grantBind(
  admin: KubeClient,
  subject: { kind: 'User' | 'Group'; name: string },
  name: string,
): Promise<void> {
  await new ResourceClient(admin, ClusterRoles).create({
    metadata: { name },
    rules: [{ apiGroups: ['kube-bind.io'], resources: ['*'], verbs: ['bind'] }],
  });
  await new ResourceClient(admin, ClusterRoleBindings).create({
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ ...subject, apiGroup: 'rbac.authorization.k8s.io' }],
  });
}

/** A cowboys template with a unique name (templates are cluster-scoped and shared). */
export async function cowboysTemplate(
  admin: KubeClient,
  extra: Partial<kb.APIServiceExportTemplateSpec> = {},
): Promise<string> {
  await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
  const name = `cowboys-${uniqueSuffix()}`;
  const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
  await templates.create({
    metadata: { name },
    spec: {
      scope: 'Namespaced',
      resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
      ...extra,
    },
  });
  onTestFinished(async () => {
    await templates.delete(name).catch(() => undefined);
  });
  return name;
}

/** Runs the backend's controllers for the contract namespace of `identity` until the test ends. */
export async function controllersFor(
  admin: KubeClient,
  door: FrontDoorUnderTest,
  identity: string,
): Promise<string> {
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const specs = backendControllers(
    door.options,
    { log: testLogger(), clock: realClock },
    { server: conn.server, caPem: conn.caPem ?? '' },
  );
  const namespace = contractNamespaceName(door.options.namespacePrefix, identity);
  runControllers(admin, specs, [namespace]);
  return namespace;
}
