// Issue 16, item 4: a consumer's namespace belongs to whoever provisioned it. Two users of one
// real dex (two mockCallback connectors: same person, two `sub`s) log in through the real front
// door like `kubectl bind login`; B binds with A's consumer_id. Before the fix the backend handed
// B the kubeconfig of A's contract namespace; now B gets a 403 that says how to get access, and
// nothing of A's changes. The provider's operator adding B to the owners record lets B in: what a
// team sharing one consumer cluster does.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractNamespaceName } from '../../../src/apis/kubebind/identity-hash.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { ownersAnnotation } from '../../../src/apis/kubebind/wire.ts';
import { PatchType } from '../../../src/kube/client.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces, Secrets } from '../../../src/kube/resources.ts';
import { controlPlane, eventually, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { defaultDexClient, startDex, type Dex } from '../../harness/dex.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { freePort } from '../../harness/ports.ts';
import {
  allowToBind,
  cowboysTemplate,
  followUntil,
  frontDoor,
  randomSessionId,
  type FrontDoorUnderTest,
} from './front-door.ts';

let dir: string;
let dex: Dex;
let port: number;

beforeAll(async () => {
  await ensureKubeBindCRDs();
  dir = mkdtempSync(join(controlPlane().runDir, 'ownership-'));
  port = await freePort();
  dex = await startDex({
    baseDir: dir,
    name: 'dex-ownership',
    clients: [defaultDexClient([`http://127.0.0.1:${port}/api/callback`])],
    mockConnectors: ['alice', 'bob'],
  });
}, 120_000);

afterAll(async () => {
  await dex.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `kubectl bind login` as the user of one dex connector: the CLI token it ends with. */
async function loginAs(door: FrontDoorUnderTest, connector: string): Promise<string> {
  const authorize = new URL('/api/authorize', door.origin);
  const loopback = 'http://127.0.0.1:1/callback';
  authorize.searchParams.set('redirect_url', loopback);
  authorize.searchParams.set('session_id', randomSessionId());
  authorize.searchParams.set('client_type', 'cli');
  const jar = new Map<string, string>();
  // dex asks which connector when there are several; a browser user would click one.
  const toDex = await followUntil(authorize.href, `${dex.issuer}/auth?`, jar);
  toDex.pathname = `${toDex.pathname}/${connector}`;
  const back = await followUntil(toDex.href, loopback, jar);
  const token = back.searchParams.get('access_token');
  if (!token) throw new Error(`no token for ${connector}: ${back.href}`);
  return token;
}

interface BindAnswer {
  status: number;
  body: { kind?: string; kubeconfig?: string; message?: string; details?: string; code?: string };
}

async function bind(
  door: FrontDoorUnderTest,
  token: string,
  consumerId: string,
  template: string,
): Promise<BindAnswer> {
  const res = await fetch(`${door.origin}/api/bind?consumer_id=${encodeURIComponent(consumerId)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      metadata: { name: 'cowboys' },
      spec: {
        templateRef: { name: template },
        clusterIdentity: { identity: consumerId },
        author: '',
      },
    }),
  });
  return { status: res.status, body: (await res.json()) as BindAnswer['body'] };
}

describe("a consumer's namespace belongs to whoever provisioned it", () => {
  it("refuses B the kubeconfig of A's consumer cluster (403), and changes nothing of A's", async () => {
    const admin = await kubeAdmin();
    const prefix = `o${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const client = dex.clients[0];
    if (!client) throw new Error('no dex client');
    const door = await frontDoor(
      admin,
      [
        `--namespace-prefix=${prefix}`,
        `--oidc-issuer-url=${dex.issuer}`,
        `--oidc-issuer-client-id=${client.id}`,
        `--oidc-callback-url=http://127.0.0.1:${port}/api/callback`,
        '--oidc-allowed-groups=authors',
      ],
      { OIDC_CLIENT_SECRET: client.secret },
      port,
    );
    // dex's mock user is in group "authors"; the cluster controller would bind it for the flag.
    await allowToBind(admin, { kind: 'Group', name: 'authors' });
    const template = await cowboysTemplate(admin);
    const alice = await loginAs(door, 'alice');
    const bob = await loginAs(door, 'bob');

    // A binds first: A's consumer cluster gets its namespace and kubeconfig.
    const victim = `kube-system-uid-${uniqueSuffix()}`;
    const first = await bind(door, alice, victim, template);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const contract = contractNamespaceName(prefix, victim);
    const namespaces = new ResourceClient(admin, Namespaces);
    const owners = (await namespaces.get(contract)).metadata?.annotations?.[ownersAnnotation];
    const state = async () => ({
      namespace: (await namespaces.get(contract)).metadata?.resourceVersion,
      binding: (await new ResourceClient(admin, kb.ClusterBindings, contract).get('cluster'))
        .metadata?.resourceVersion,
      secrets: (await new ResourceClient(admin, Secrets, contract).list()).items.map(
        (s) => `${s.metadata?.name}@${s.metadata?.resourceVersion}`,
      ),
    });
    const before = await state();

    // The attack: B names A's consumer cluster.
    const attack = await bind(door, bob, victim, template);
    expect(attack.status, JSON.stringify(attack.body)).toBe(403);
    expect(attack.body.kind).toBe('Error');
    expect(attack.body.code).toBe('AUTHORIZATION_FAILED');
    expect(attack.body.kubeconfig).toBeUndefined();
    expect(attack.body.details).toContain(ownersAnnotation);
    expect(attack.body.details).toContain(contract);
    expect(await state()).toEqual(before);
    // The namespace records A, from the session (never from the request).
    expect(JSON.parse(owners ?? '[]')).toEqual([
      { issuer: dex.issuer, subject: expect.any(String) as string },
    ]);

    // B's own consumer cluster is B's; A still binds A's.
    expect((await bind(door, bob, `other-${uniqueSuffix()}`, template)).status).toBe(200);
    expect((await bind(door, alice, victim, template)).status).toBe(200);

    // A team shares one consumer cluster: the operator lists B as an owner too (the refusal
    // names the entry to add).
    const entry = /\{"issuer":[^}]*\}/.exec(attack.body.details ?? '')?.[0] ?? '';
    const listed = JSON.parse(owners ?? '[]') as unknown[];
    await namespaces.patch(contract, PatchType.merge, {
      metadata: {
        annotations: { [ownersAnnotation]: JSON.stringify([...listed, JSON.parse(entry)]) },
      },
    });
    const shared = await eventually('B to be let in once listed', async () => {
      const answer = await bind(door, bob, victim, template);
      return answer.status === 200 ? answer : undefined;
    });
    expect(shared.body.kubeconfig).toBeTruthy();
  });
});
