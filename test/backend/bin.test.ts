// `bin/backend` as an operator runs it, against a private kube-apiserver (its controllers watch
// every namespace, so it must not share the cluster other test files use): bad flags exit 2 with
// every problem named; a start installs the CRDs, creates the Cluster `default`, takes the Lease,
// turns an export request into an export, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wildwestCRDs } from '../../src/apis/examples/wildwest.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { installCRDs } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Leases, Namespaces } from '../../src/kube/resources.ts';
import { controlPlane, eventually } from '../harness/context.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { freePort } from '../harness/ports.ts';
import { cliLogin } from './http/front-door.ts';
import { repoRoot } from '../harness/tools.ts';

let cluster: KubeCluster;
let admin: KubeClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'backend-bin-'));
  cluster = await startKubeCluster({ name: 'backend', baseDir: dir, controllerManager: false });
  admin = new KubeClient(cluster.adminConnection());
}, 180_000);

afterAll(async () => {
  await admin.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

function backend(args: string[]) {
  const child = spawn(join(repoRoot, 'bin/backend'), args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

describe('bin/backend', () => {
  it('rejects bad flags with exit code 2 and names each problem', async () => {
    const run = backend([
      '--isolation=Shared',
      '--consumer-scope=everywhere',
      '--kubeconfig',
      cluster.adminKubeconfigPath,
    ]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('invalid --isolation "Shared"');
    expect(run.output()).toContain('--consumer-scope');
  });

  it('starts, serves HTTP, leads, binds an export request and stops on SIGTERM', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const run = backend([
      '--kubeconfig',
      cluster.adminKubeconfigPath,
      '--leader-election-namespace=default',
      '--namespace-prefix=kb-',
      `--listen-address=127.0.0.1:${port}`,
      '--oidc-type=embedded',
      `--oidc-issuer-url=${origin}/oidc`,
      `--oidc-callback-url=${origin}/api/callback`,
    ]);
    try {
      const ready = await eventually('/readyz to answer ok', async () => {
        const res = await fetch(`${origin}/readyz`).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      });
      expect(ready).toBe('ok');
      const provider = (await (await fetch(`${origin}/api/exports`)).json()) as {
        authenticationMethods: { oauth2CodeGrant: { authenticatedURL: string } }[];
      };
      expect(provider.authenticationMethods[0]?.oauth2CodeGrant.authenticatedURL).toBe(
        `${origin}/api/authorize`,
      );
      expect(run.output()).toContain('DEVELOPMENT ONLY');
      // The embedded issuer's user may bind once the cluster controller has granted it.
      const { accessToken } = await cliLogin(origin);
      const templates = await eventually('the embedded user to be allowed', async () => {
        const res = await fetch(`${origin}/api/templates`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        return res.ok ? ((await res.json()) as { kind: string }) : undefined;
      });
      expect(templates.kind).toBe('APIServiceExportTemplateList');
      await eventually('the Lease to be held', async () => {
        const lease = await new ResourceClient(admin, Leases, 'default').get('kube-bind-backend');
        return lease.spec?.holderIdentity ? true : undefined;
      });
      await new ResourceClient(admin, kb.Clusters).get('default');
      await installCRDs(admin, wildwestCRDs(), { fieldManager: 'test' });
      await new ResourceClient(admin, Namespaces).create({ metadata: { name: 'kb-consumer' } });
      const requests = new ResourceClient(admin, kb.APIServiceExportRequests, 'kb-consumer');
      await requests.create({
        metadata: { name: 'cowboys' },
        spec: { resources: [{ group: 'wildwest.dev', resource: 'cowboys' }] },
      });
      const phase = await eventually('the request to succeed', async () => {
        const r = await requests.get('cowboys');
        return r.status?.phase === 'Pending' ? undefined : r.status?.phase;
      });
      expect(phase).toBe('Succeeded');
      // /metrics has the process, the HTTP server and the controller runtime. The reconcile that
      // wrote Succeeded is counted when it returns, a moment after the write: wait for it.
      const metrics = await eventually('the reconcile to be counted', async () => {
        const text = await (await fetch(`${origin}/metrics`)).text();
        return text.includes('controller="kube-bind-backend-serviceexportrequest"')
          ? text
          : undefined;
      });
      for (const name of [
        'process_resident_memory_bytes',
        'kube_bind_http_requests_total{route="/api/templates"',
        'controller_runtime_reconcile_total{controller="kube-bind-backend-serviceexportrequest"',
        'workqueue_adds_total',
        'rest_client_requests_total',
      ]) {
        expect(metrics, name).toContain(name);
      }
      await new ResourceClient(admin, kb.APIServiceExports, 'kb-consumer').get('cowboys');

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      // The lease was released on the way out, so a successor need not wait for it to expire.
      const lease = await new ResourceClient(admin, Leases, 'default').get('kube-bind-backend');
      expect(lease.spec?.holderIdentity ?? '').toBe('');
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});
