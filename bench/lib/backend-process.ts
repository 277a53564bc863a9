import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { ClusterRoles } from '../../src/kube/resources.ts';
import { freePort } from '../../test/harness/ports.ts';
import { until } from './wait.ts';

const repo = join(import.meta.dirname, '../..');

/**
 * Starts bin/backend on a free port with the embedded OIDC issuer (its logs: warnings and errors,
 * on our stderr), and returns at once; `extra` are further flags.
 */
export async function spawnBackend(
  kubeconfig: string,
  extra: readonly string[] = [],
): Promise<{ origin: string; child: ChildProcess }> {
  const origin = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    join(repo, 'bin/backend'),
    [
      '--kubeconfig',
      kubeconfig,
      '--leader-elect=false',
      `--listen-address=${new URL(origin).host}`,
      '--oidc-type=embedded',
      `--oidc-issuer-url=${origin}/oidc`,
      `--oidc-callback-url=${origin}/api/callback`,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  return { origin, child };
}

/** Waits until a spawned backend's controllers run: the cluster controller's ClusterRole exists. */
export async function untilControllersRun(admin: KubeClient): Promise<void> {
  const roles = new ResourceClient(admin, ClusterRoles);
  await until(
    "the cluster controller's ClusterRole",
    () => roles.get('kube-bind-oidc-user').catch(() => undefined),
    { timeoutMs: Infinity },
  );
}

/** Stops a process spawned here, and waits until it is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
