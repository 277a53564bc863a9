// `bin/kcp-init` on the real kcp: bootstraps kube-bind.io into a workspace, and a second run
// converges without error (upstream's kcp-init is run on every deploy). Bad flags exit 2.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { kubeBindExportName } from '../../src/apis/kubebind/kcp.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { APIBindings } from '../../src/providers/kcp/bootstrap.ts';
import { controlPlane, kcpAdmin, uniqueSuffix } from '../harness/context.ts';
import { repoRoot } from '../harness/tools.ts';

const kcp = controlPlane().kcp;

function kcpInit(args: readonly string[]) {
  const child = spawn(join(repoRoot, 'bin/kcp-init'), args, {
    env: { ...process.env, LOG_LEVEL: 'warn', KUBECONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe.runIf(kcp !== undefined)('bin/kcp-init', () => {
  it('bootstraps kube-bind.io into a workspace, and again without change', async () => {
    const workspace = `kb-init-${uniqueSuffix()}`;
    const root = await kcpAdmin('root');
    onTestFinished(async () => {
      await root
        .delete(`/apis/tenancy.kcp.io/v1alpha1/workspaces/${workspace}`)
        .catch(() => undefined);
    });
    const args = [
      `--kubeconfig=${kcp?.kubeconfigPath ?? ''}`,
      `--workspace=${workspace}`,
      '--bindable-by=Group:system:authenticated',
    ];
    const first = await kcpInit(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`kube-bind.io is exported from root:${workspace}.`);
    const ws = await kcpAdmin(`root:${workspace}`);
    const binding = await new ResourceClient(ws, APIBindings).get(kubeBindExportName);
    expect(binding.status?.phase).toBe('Bound');
    const exported = await ws.get<{ spec?: { resources?: unknown[] } }>(
      `/apis/apis.kcp.io/v1alpha2/apiexports/${kubeBindExportName}`,
    );
    expect(exported.spec?.resources).toHaveLength(12);

    const again = await kcpInit(args);
    expect(again.code, again.stderr).toBe(0);
    expect((await new ResourceClient(ws, APIBindings).get(kubeBindExportName)).status?.phase).toBe(
      'Bound',
    );
  });

  it('says what is wrong with its flags and exits 2', async () => {
    const r = await kcpInit(['--bindable-by=Team:x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--kubeconfig is required');
    expect(r.stderr).toContain('invalid --bindable-by "Team:x"');
  });
});
