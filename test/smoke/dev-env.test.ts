// The README's main-job command: it starts the local environment, says how to reach it, and
// stops cleanly on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { repoRoot } from '../harness/tools.ts';

describe('dev environment command', () => {
  it('starts a reachable cluster, prints its kubeconfig and stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['hack/dev-env.ts', '--components', 'kube'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no ready message; output:\n${output}`));
        }, 90_000);
        child.stdout.on('data', () => {
          if (output.includes('Press Ctrl-C to stop.')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => {
          reject(new Error(`exited early (${String(code)}):\n${output}`));
        });
      });
      const kubeconfig = /kubeconfig: (\S+)/.exec(output)?.[1];
      expect(kubeconfig).toBe('.dev/provider.kubeconfig');
      expect(output).toContain(`kubectl --kubeconfig ${kubeconfig ?? ''} get namespaces`);
      const runDir = /Server logs: (\S+)/.exec(output)?.[1] ?? '';
      expect(existsSync(runDir)).toBe(true);

      const client = new KubeClient(
        await connectionFromKubeconfig({ file: join(repoRoot, kubeconfig ?? '') }),
      );
      try {
        const ns = await client.get<{ items: { metadata: { name: string } }[] }>(
          '/api/v1/namespaces',
        );
        expect(ns.items.map((n) => n.metadata.name)).toContain('kube-system');
        // The example APIs are loaded and offered.
        expect(output).toContain('wildwest.dev CRDs');
        const templates = await client.get<{ items: { metadata: { name: string } }[] }>(
          '/apis/kube-bind.io/v1alpha2/apiserviceexporttemplates',
        );
        expect(templates.items.map((t) => t.metadata.name)).toEqual(
          expect.arrayContaining(['cowboys', 'sheriffs']),
        );
        // The backend serves: the printed kubectl bind line reaches its provider discovery.
        const exportsUrl = /kubectl bind (http:\/\/127\.0\.0\.1:\d+\/exports)/.exec(output)?.[1];
        expect(exportsUrl).toBeDefined();
        const provider = (await (await fetch(exportsUrl ?? '')).json()) as { kind: string };
        expect(provider.kind).toBe('BindingProvider');
        // The backend runs: it creates the Cluster `default` and its OIDC user role.
        const deadline = Date.now() + 60_000;
        let role: unknown;
        while (!role && Date.now() < deadline) {
          role = await client
            .get('/apis/rbac.authorization.k8s.io/v1/clusterroles/kube-bind-oidc-user')
            .catch(() => undefined);
          if (!role) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        expect(role).toBeDefined();
      } finally {
        await client.close();
      }
      // The consumer cluster's konnector runs: it installed the APIServiceBinding CRD.
      expect(output).toContain('kubeconfig: .dev/consumer.kubeconfig');
      const consumer = new KubeClient(
        await connectionFromKubeconfig({ file: join(repoRoot, '.dev/consumer.kubeconfig') }),
      );
      try {
        const deadline = Date.now() + 60_000;
        let served = false;
        while (!served && Date.now() < deadline) {
          served = await consumer
            .get('/apis/kube-bind.io/v1alpha2/apiservicebindings')
            .then(() => true)
            .catch(() => false);
          if (!served) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        expect(served).toBe(true);
      } finally {
        await consumer.close();
      }

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(existsSync(runDir)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
