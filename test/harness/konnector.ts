// Runs the real bin/konnector against a consumer cluster, as a process with a kubeconfig (the
// way upstream's e2e runs it), with its log kept as an artifact.
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { repoRoot } from './tools.ts';

export interface KonnectorUnderTest {
  process: ManagedProcess;
  port: number;
  /** SIGTERM and wait; the test may start another one. */
  stop(): Promise<void>;
}

export async function startKonnector(opts: {
  kubeconfig: string;
  logDir: string;
  name?: string;
  args?: readonly string[];
  /** Stop it when the current test finishes (default); false: the caller stops it. */
  stopWhenTestEnds?: boolean;
}): Promise<KonnectorUnderTest> {
  const port = await freePort();
  const proc = new ManagedProcess({
    name: opts.name ?? 'konnector',
    command: join(repoRoot, 'bin/konnector'),
    args: [
      `--kubeconfig=${opts.kubeconfig}`,
      `--server-address=127.0.0.1:${port}`,
      '--lease-namespace=kube-system',
      ...(opts.args ?? []),
    ],
    logDir: opts.logDir,
    env: { LOG_LEVEL: process.env['KBT_KONNECTOR_LOG_LEVEL'] ?? 'debug' },
  });
  if (opts.stopWhenTestEnds !== false) {
    onTestFinished(async () => {
      await proc.stop(5_000);
    });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!proc.running) throw new Error(`konnector exited: ${proc.tail()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`konnector not ready in 60s: ${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    process: proc,
    port,
    stop: async () => {
      await proc.stop(10_000);
    },
  };
}
