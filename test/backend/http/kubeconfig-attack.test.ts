// Attacks on the backend through the kubeconfigs it is handed and the hosts it connects to
// (issue 16, items 1 and 7), against the real front door and kube-apiserver:
//
// - apply-binding with a consumer kubeconfig whose user reads a local file (token-file: the
//   backend's own service-account token), runs a command (exec), or otherwise steps outside the
//   allow-list: refused with 400 naming the field, nothing provisioned, and the attacker's
//   loopback listener receives nothing (no connection) and the exec marker is never created;
// - apply-binding as a scanner of the provider's network: a closed port, a port speaking plain
//   HTTP, and an HTTPS server that is not Kubernetes get the same answer, word for word;
// - the --frontend development proxy asked for `//127.0.0.2:<port>/…` stays on its own origin.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces } from '../../../src/kube/resources.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { controlPlane, kubeAdmin, uniqueSuffix } from '../../harness/context.ts';
import { attackFiles, hostileKubeconfigs } from '../../harness/hostile-kubeconfig.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';
import { freePort } from '../../harness/ports.ts';
import { recordingListener } from '../../harness/recording-listener.ts';
import { allowToBind, cliLogin, frontDoor } from './front-door.ts';

beforeAll(ensureKubeBindCRDs);

/** A front door, a user allowed to bind, and a POST /api/apply-binding with its bearer token. */
async function applyBindingAs() {
  const admin = await kubeAdmin();
  const prefix = `ka${uniqueSuffix()}-`;
  deleteNamespacesAfterTest(admin, prefix);
  const door = await frontDoor(admin, [`--namespace-prefix=${prefix}`]);
  await allowToBind(admin, { kind: 'User', name: door.user });
  const { accessToken } = await cliLogin(door.origin);
  const post = async (kubeconfig: string, bindingName = `b-${uniqueSuffix()}`) => {
    const res = await fetch(`${door.origin}/api/apply-binding`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        consumerKubeconfig: Buffer.from(kubeconfig).toString('base64'),
        bindingName,
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Namespaces this door provisioned. */
  const provisioned = async () =>
    (await new ResourceClient(admin, Namespaces).list()).items
      .map((n) => n.metadata?.name ?? '')
      .filter((n) => n.startsWith(prefix));
  return { post, provisioned };
}

describe('apply-binding with a hostile consumer kubeconfig (item 1)', () => {
  it('refuses every field outside the allow-list before reading, running or sending anything', async () => {
    const listener = await recordingListener({ tls: true });
    const files = attackFiles(controlPlane().runDir);
    const attacks = await hostileKubeconfigs(listener, files);
    const { post, provisioned } = await applyBindingAs();

    const answers = [];
    for (const attack of attacks) {
      const { status, body } = await post(attack.kubeconfig);
      answers.push({
        attack: attack.name,
        status,
        details: typeof body['details'] === 'string' ? body['details'] : '',
      });
    }
    // What reached the attacker, first: on the old code the token-file case shows up here as
    // `Bearer <the token file content>`.
    expect(listener.requests()).toEqual([]);
    expect(listener.connections()).toBe(0);
    expect(existsSync(files.marker), 'the exec command ran').toBe(false);
    for (const [i, attack] of attacks.entries()) {
      expect(answers[i]).toEqual({
        attack: attack.name,
        status: 400,
        details: expect.stringContaining(
          `consumerKubeconfig: ${attack.at}: "${attack.field}" is not accepted`,
        ) as unknown,
      });
    }
    // Refused before anything was provisioned for the user.
    expect(await provisioned()).toEqual([]);
  });
});

describe('apply-binding is not a scanner of the provider network (item 7)', () => {
  it('answers a closed port, a plain-HTTP port and a non-Kubernetes HTTPS server alike', async () => {
    const { post } = await applyBindingAs();
    const closed = await freePort();
    const plain = await recordingListener();
    const https = await recordingListener({ tls: true });
    const kubeconfig = (server: string) =>
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'consumer-token' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      });
    const answers = [];
    for (const server of [
      `https://127.0.0.1:${closed}`,
      plain.url.replace('http:', 'https:'),
      https.url,
    ]) {
      answers.push(await post(kubeconfig(server)));
    }
    // The open ports were really reached: the answers are the same although the outcomes differ.
    expect(plain.connections()).toBeGreaterThan(0);
    expect(https.requests().length).toBeGreaterThan(0);
    expect(answers[0]?.status).toBe(400);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const details = JSON.stringify(answers[0]?.body);
    for (const leak of ['ECONNREFUSED', 'EPROTO', 'self-signed', 'version', '127.0.0.1', '404']) {
      expect(details).not.toContain(leak);
    }
  });
});

describe('the --frontend development proxy (item 7)', () => {
  it('keeps its own origin for a protocol-relative path', async () => {
    const admin = await kubeAdmin();
    const ui = await recordingListener({
      answer: { status: 200, type: 'text/html', body: '<html>ui</html>' },
    });
    // Another loopback address stands for 169.254.169.254 (the cloud metadata service).
    const target = await recordingListener({ host: '127.0.0.2' });
    const door = await frontDoor(admin, [`--frontend=${ui.url}`]);

    const res = await fetch(`${door.origin}//127.0.0.2:${target.port}/latest/meta-data/`);
    await res.arrayBuffer();
    expect(target.connections()).toBe(0);
    expect(target.requests()).toEqual([]);
    // It went to the UI server, path and all.
    expect(ui.requests().map((r) => r.url)).toEqual([
      `//127.0.0.2:${target.port}/latest/meta-data/`,
    ]);

    const page = await fetch(`${door.origin}/index.html`);
    expect([page.status, await page.text()]).toEqual([200, '<html>ui</html>']);
  });
});
