// `kubectl bind` against a hostile backend (issue 16, item 1): the provider kubeconfig in its
// BindingResponse reads a local file (token-file: the user's own token), runs a command on the
// user's machine (exec), or otherwise steps outside the allow-list. The real bin/kubectl-bind
// must refuse it with a clear error and exit 1 before anything happens: the exec marker is
// never created, the attacker's loopback listener receives nothing, and the consumer cluster
// (the shared kube-apiserver) gets no Secret with that kubeconfig.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Secrets } from '../../src/kube/resources.ts';
import { controlPlane, kubeAdmin, uniqueSuffix } from '../harness/context.ts';
import { attackFiles, hostileKubeconfigs } from '../harness/hostile-kubeconfig.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';
import { recordingListener } from '../harness/recording-listener.ts';
import { run } from './run.ts';

beforeAll(ensureKubeBindCRDs);

/** A backend that answers every POST /api/bind with a BindingResponse carrying `kubeconfig`. */
async function hostileBackend(kubeconfig: () => string): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (req.method !== 'POST' || !req.url?.startsWith('/api/bind')) {
      res.writeHead(404).end();
      return;
    }
    const response = {
      kind: 'BindingResponse',
      apiVersion: 'kube-bind.io/v1alpha2',
      authentication: { oauth2CodeGrant: { sessionID: 's', id: 'i' } },
      kubeconfig: Buffer.from(kubeconfig()).toString('base64'),
      requests: [
        {
          kind: 'APIServiceExportRequest',
          apiVersion: 'kube-bind.io/v1alpha2',
          metadata: { name: `attack-${uniqueSuffix()}` },
          spec: {
            resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
          },
        },
      ],
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A HOME whose ~/.kube-bind/config holds a valid-looking login to `url`. */
function homeLoggedInTo(url: string): string {
  const home = mkdtempSync(join(controlPlane().runDir, 'kubectl-bind-attack-'));
  mkdirSync(join(home, '.kube-bind'), { mode: 0o700 });
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    servers: {
      [url]: {
        url,
        accessToken: 'token',
        tokenType: 'Bearer',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      },
    },
    current: url,
  };
  writeFileSync(join(home, '.kube-bind', 'config'), JSON.stringify(config), { mode: 0o600 });
  return home;
}

describe('kubectl bind with a hostile BindingResponse', () => {
  it('refuses a provider kubeconfig outside the allow-list, running and sending nothing', async () => {
    const admin = await kubeAdmin();
    const listener = await recordingListener({ tls: true });
    const files = attackFiles(controlPlane().runDir);
    const attacks = await hostileKubeconfigs(listener, files);
    let current = attacks[0]?.kubeconfig ?? '';
    const backend = await hostileBackend(() => current);
    const home = homeLoggedInTo(backend);
    const env = { KUBECONFIG: controlPlane().kube.kubeconfigPath };
    // The old code stored the hostile kubeconfig on the consumer before connecting with it.
    onTestFinished(async () => {
      const secrets = new ResourceClient(admin, Secrets, 'kube-bind');
      const { items } = await secrets.list().catch(() => ({ items: [] }));
      for (const s of items) {
        const text = Buffer.from(s.data?.['kubeconfig'] ?? '', 'base64').toString();
        if (text.includes(listener.url)) await secrets.delete(s.metadata?.name ?? '');
      }
    });

    const results = [];
    for (const attack of attacks) {
      current = attack.kubeconfig;
      const r = await run(
        home,
        [
          'apiservice',
          '--template-name',
          'cowboys',
          '--name',
          `attack-${uniqueSuffix()}`,
          '--cluster-identity',
          'attack',
          '--skip-konnector',
        ],
        env,
      );
      results.push({ attack: attack.name, code: r.code, stderr: r.stderr });
    }
    // What reached the attacker, first: on the old code the exec marker exists and the listener
    // holds `Bearer from-exec` and `Bearer <the token file content>`.
    expect(existsSync(files.marker), 'the exec command ran').toBe(false);
    expect(listener.requests()).toEqual([]);
    expect(listener.connections()).toBe(0);
    for (const [i, attack] of attacks.entries()) {
      expect(results[i]).toEqual({
        attack: attack.name,
        code: 1,
        stderr: expect.stringContaining(
          `unexpected response from the provider: its kubeconfig is unusable: ${attack.at}: "${attack.field}" is not accepted`,
        ) as unknown,
      });
    }
    // Nothing was stored on the consumer cluster.
    const { items } = await new ResourceClient(admin, Secrets, 'kube-bind')
      .list()
      .catch(() => ({ items: [] }));
    const stored = items.filter((s) =>
      Buffer.from(s.data?.['kubeconfig'] ?? '', 'base64')
        .toString()
        .includes(listener.url),
    );
    expect(stored.map((s) => s.metadata?.name)).toEqual([]);
  });
});
