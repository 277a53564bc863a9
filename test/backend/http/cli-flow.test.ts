// The front door end to end on the real kube-apiserver, with the embedded development issuer:
// discovery, the CLI login (token at the loopback listener), RBAC authorization by
// SubjectAccessReview, templates, POST /api/bind, and the returned kubeconfig creating an export
// request that the controllers drive to Succeeded; then the web flow with its cookie.
import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BindingResponse } from '../../../src/apis/kubebind/documents.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { eventually, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { clientFromKubeconfig, deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import {
  allowToBind,
  cliLogin,
  controllersFor,
  cowboysTemplate,
  followUntil,
  frontDoor,
  type FrontDoorUnderTest,
} from './front-door.ts';

beforeAll(ensureKubeBindCRDs);

function api(door: FrontDoorUnderTest, path: string, token?: string, init: RequestInit = {}) {
  return fetch(`${door.origin}${path}`, {
    ...init,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      'user-agent': 'kubectl-bind-cli',
      accept: 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

describe('the HTTP front door', () => {
  it('answers discovery, health, and JSON errors for unknown paths, methods and logins', async () => {
    const door = await frontDoor(await kubeAdmin());
    const provider = await (await api(door, '/api/exports?cluster_id=&session_id=abc')).json();
    expect(provider).toEqual({
      kind: 'BindingProvider',
      apiVersion: 'v1alpha2',
      providerPrettyName: 'Backend',
      version: 'v0.8.1',
      authenticationMethods: [
        {
          method: 'OAuth2CodeGrant',
          oauth2CodeGrant: { authenticatedURL: `${door.origin}/api/authorize?session_id=abc` },
        },
      ],
    });
    const legacy = await fetch(`${door.origin}/exports?x=1`, { redirect: 'manual' });
    expect([legacy.status, legacy.headers.get('location')]).toEqual([302, '/api/exports?x=1']);
    expect(await (await api(door, '/healthz')).text()).toBe('ok');
    await eventually('ready', async () => ((await api(door, '/readyz')).ok ? true : undefined));

    const anonymous = await api(door, '/api/templates');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      kind: 'Error',
      apiVersion: 'kube-bind.io/v1alpha2',
      message: 'Authentication required',
      code: 'AUTHENTICATION_FAILED',
      details: 'No valid session found',
    });
    const unknown = await api(door, '/api/foo');
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([
      404,
      'RESOURCE_NOT_FOUND',
    ]);
    const wrongMethod = await api(door, '/api/bind');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(((await wrongMethod.json()) as { code: string }).code).toBe('METHOD_NOT_ALLOWED');
    const forged = await api(door, '/api/templates', 'eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.');
    expect(forged.status).toBe(401);
  });

  it('logs the CLI in, authorizes by RBAC, binds, and the kubeconfig gets an export', async () => {
    const admin = await kubeAdmin();
    const prefix = `h${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
    const template = await cowboysTemplate(admin, {
      permissionClaims: [
        { resource: 'secrets', selector: { labelSelector: { matchLabels: { app: 'cowboy' } } } },
      ],
    });

    const login = await cliLogin(door.origin);
    expect(login.tokenType).toBe('Bearer');
    expect(login.expiresIn).toBe(3600);
    expect(login.redirect.origin).toBe('http://127.0.0.1:1');

    // Logged in, but the provider's RBAC does not let this user bind yet.
    const denied = await api(door, '/api/templates', login.accessToken);
    expect(denied.status).toBe(403);
    const refusal = (await denied.json()) as { code: string; details: string };
    expect(refusal.code).toBe('AUTHORIZATION_FAILED');
    expect(refusal.details).toContain(`--oidc-allowed-users=${door.user}`);
    await allowToBind(admin, { kind: 'User', name: door.user });

    const templates = await eventually('the template to be listed', async () => {
      const res = await api(door, '/api/templates', login.accessToken);
      const list = (await res.json()) as { items?: kb.APIServiceExportTemplate[] };
      return list.items?.some((t) => t.metadata?.name === template) ? list : undefined;
    });
    expect(templates).toMatchObject({ kind: 'APIServiceExportTemplateList' });

    const identity = randomUUID();
    const namespace = await controllersFor(admin, door, identity);
    const res = await api(door, '/api/bind', login.accessToken, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: 'my-cowboys', creationTimestamp: null },
        spec: { templateRef: { name: template }, clusterIdentity: { identity }, author: '' },
        status: {},
      }),
    });
    expect(res.status).toBe(200);
    const response = (await res.json()) as BindingResponse;
    expect(response).toMatchObject({
      kind: 'BindingResponse',
      apiVersion: 'kube-bind.io/v1alpha2',
      authentication: {
        oauth2CodeGrant: { sid: login.sessionId, id: `${door.origin}/oidc/${door.user}` },
      },
      providerNamespace: namespace,
      requests: [
        {
          kind: 'APIServiceExportRequest',
          apiVersion: 'kube-bind.io/v1alpha2',
          metadata: { name: 'my-cowboys' },
          spec: {
            resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
          },
          status: {},
        },
      ],
    });
    expect(response).not.toHaveProperty('bindingName');

    // What the CLI does next (docs/protocol.md §6.4), with the issued kubeconfig.
    const kubeconfig = Buffer.from(response.kubeconfig, 'base64').toString('utf8');
    const doc = parse(kubeconfig) as { contexts: { context: { namespace: string } }[] };
    expect(doc.contexts[0]?.context.namespace).toBe(namespace);
    const consumer = await clientFromKubeconfig(kubeconfig);
    const requests = new ResourceClient(consumer, kb.APIServiceExportRequests, namespace);
    const [request] = response.requests;
    await requests.create({
      metadata: { name: 'my-cowboys' },
      spec: request?.spec ?? { resources: [] },
    });
    const phase = await eventually('the request to finish', async () => {
      const r = await requests.get('my-cowboys');
      return r.status?.phase === 'Pending' || !r.status?.phase ? undefined : r.status.phase;
    });
    expect(phase).toBe('Succeeded');
  });

  it('logs the browser in with a cookie, binds for the UI user and waits for the export', async () => {
    const admin = await kubeAdmin();
    const prefix = `u${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
    const template = await cowboysTemplate(admin);
    await allowToBind(admin, { kind: 'User', name: door.user });
    const namespace = await controllersFor(admin, door, `${door.origin}/oidc/${door.user}`);

    const authorize = new URL(`${door.origin}/api/authorize`);
    authorize.searchParams.set('redirect_url', `${door.origin}/`);
    authorize.searchParams.set('session_id', 'ui-session-1');
    authorize.searchParams.set('client_type', 'ui');
    const jar = new Map<string, string>();
    const back = await followUntil(authorize.href, `${door.origin}/?`, jar);
    expect(back.searchParams.get('session_id')).toBe('ui-session-1');
    const cookie = `kube-bind=${jar.get(`${door.origin} kube-bind`) ?? ''}`;

    expect(await (await api(door, '/api/ping', undefined, { headers: { cookie } })).text()).toBe(
      'pong',
    );
    expect(
      await (await api(door, '/api/consumer-status', undefined, { headers: { cookie } })).json(),
    ).toEqual({ connected: false });

    const body = JSON.stringify({
      metadata: { name: 'ui-cowboys' },
      spec: {
        templateRef: { name: template },
        clusterIdentity: { identity: 'ui-identity' },
        author: 'web-ui',
      },
    });
    // A forged cross-site POST carries the cookie but not our UI's header.
    const forged = await api(door, '/api/bind', undefined, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example.com' },
      body,
    });
    expect([forged.status, ((await forged.json()) as { code: string }).code]).toEqual([
      403,
      'AUTHORIZATION_FAILED',
    ]);

    const res = await api(door, '/api/bind', undefined, {
      method: 'POST',
      headers: { cookie, origin: door.origin, 'x-requested-with': 'kube-bind-ui' },
      body,
    });
    expect(res.status).toBe(200);
    const response = (await res.json()) as BindingResponse;
    expect(response.bindingName).toBe('ui-cowboys');
    expect(response.providerNamespace).toBe(namespace);
    const exp = await new ResourceClient(admin, kb.APIServiceExports, namespace).get('ui-cowboys');
    expect(exp.spec.resources).toEqual([expect.objectContaining({ resource: 'cowboys' })]);
    expect(
      await (await api(door, '/api/consumer-status', undefined, { headers: { cookie } })).json(),
    ).toEqual({ connected: true, namespace, exports: ['ui-cowboys'] });

    const out = await api(door, '/api/logout', undefined, {
      method: 'POST',
      headers: { cookie, origin: door.origin, 'x-requested-with': 'kube-bind-ui' },
    });
    expect(await out.text()).toBe('logged out');
    expect(out.headers.getSetCookie()[0]).toMatch(/^kube-bind=;/);
    // The session is gone server-side too: a copied cookie no longer works.
    expect((await api(door, '/api/ping', undefined, { headers: { cookie } })).status).toBe(401);
  });
});
