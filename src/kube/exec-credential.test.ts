import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecCredentialSource, parseExecConfig, type ExecConfig } from './exec-credential.ts';

const dir = mkdtempSync(join(tmpdir(), 'exec-credential-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let scripts = 0;
/** A plugin: a shell script that logs each run to `<script>.runs`, then runs `body`. */
function plugin(body: string): { path: string; runs: () => number } {
  const path = join(dir, `plugin-${++scripts}.sh`);
  writeFileSync(path, `#!/bin/sh\necho run >> "${path}.runs"\n${body}\n`);
  chmodSync(path, 0o755);
  const runs = () => {
    try {
      return readFileSync(`${path}.runs`, 'utf8').split('\n').length - 1;
    } catch {
      return 0;
    }
  };
  return { path, runs };
}

const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';
const credential = (apiVersion: string, status: Record<string, unknown>) =>
  `cat <<'EOF'\n${JSON.stringify({ apiVersion, kind: 'ExecCredential', status })}\nEOF`;

const config = (command: string, extra: Partial<ExecConfig> = {}): ExecConfig => ({
  command,
  args: [],
  env: [],
  apiVersion: v1,
  provideClusterInfo: false,
  interactiveMode: 'Never',
  ...extra,
});

describe('ExecCredentialSource', () => {
  it('reads a v1 token and passes args, env and KUBERNETES_EXEC_INFO with cluster info', async () => {
    // The token echoes what the plugin was given, so one assertion checks all of it.
    const p = plugin(
      `printf '{"apiVersion":"${v1}","kind":"ExecCredential","status":{"token":"%s|%s|%s"}}' ` +
        `"$1" "$MY_ENV" "$(printf %s "$KUBERNETES_EXEC_INFO" | tr '"' "'")"`,
    );
    const source = new ExecCredentialSource(
      config(p.path, {
        args: ['arg1'],
        env: [{ name: 'MY_ENV', value: 'v' }],
        provideClusterInfo: true,
      }),
      { cluster: { server: 'https://a:6443', config: { audience: 'x' } } },
    );
    const token = (await source.get()).token ?? '';
    const [arg, env, info] = token.split('|');
    expect([arg, env]).toEqual(['arg1', 'v']);
    expect(JSON.parse((info ?? '').replaceAll("'", '"'))).toEqual({
      apiVersion: v1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: { server: 'https://a:6443', config: { audience: 'x' } },
      },
    });
  });

  it('reads a v1beta1 client certificate and key', async () => {
    const p = plugin(credential(v1beta1, { clientCertificateData: 'CERT', clientKeyData: 'KEY' }));
    const source = new ExecCredentialSource(config(p.path, { apiVersion: v1beta1 }));
    expect(await source.get()).toEqual({ certPem: 'CERT', keyPem: 'KEY' });
  });

  it('keeps the credential until it expires, and concurrent callers share one run', async () => {
    const p = plugin(credential(v1, { token: 't', expirationTimestamp: '2030-01-01T00:00:10Z' }));
    let now = Date.parse('2030-01-01T00:00:00Z');
    const source = new ExecCredentialSource(config(p.path), { now: () => now });
    const all = await Promise.all([source.get(), source.get(), source.get()]);
    expect(all.map((c) => c.token)).toEqual(['t', 't', 't']);
    expect(p.runs()).toBe(1);
    now += 9_000;
    await source.get();
    expect(p.runs()).toBe(1);
    now += 2_000;
    expect((await source.get()).expiresAt).toBe(Date.parse('2030-01-01T00:00:10Z'));
    expect(p.runs()).toBe(2);
  });

  it('keeps a credential without expiry', async () => {
    const p = plugin(credential(v1, { token: 't' }));
    const source = new ExecCredentialSource(config(p.path));
    await source.get();
    await source.get();
    expect(p.runs()).toBe(1);
  });

  it('names the command and shows the end of its stderr when it fails', async () => {
    const p = plugin(`head -c 10000 /dev/zero | tr '\\0' x >&2; echo ' token expired' >&2; exit 3`);
    const source = new ExecCredentialSource(config(p.path), { maxStderrBytes: 100 });
    const err = await source.get().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(`^exec plugin "${p.path}" failed: it exited with 3; stderr: x+ token expired$`),
    );
    expect((err as Error).message.length).toBeLessThan(300);
    // A failure is not cached: the next call runs the plugin again.
    await source.get().catch(() => undefined);
    expect(p.runs()).toBe(2);
  });

  it('shows the installHint when the command is missing', async () => {
    const source = new ExecCredentialSource(
      config('kbt-no-such-plugin', { installHint: 'Install it with: brew install thing' }),
    );
    await expect(source.get()).rejects.toThrow(
      'exec plugin "kbt-no-such-plugin" not found\n\nInstall it with: brew install thing',
    );
  });

  it('resolves a relative command with a slash against the kubeconfig directory', async () => {
    const p = plugin(credential(v1, { token: 'rel' }));
    const name = p.path.slice(dir.length + 1);
    const source = new ExecCredentialSource(config(`./${name}`), { dir });
    expect((await source.get()).token).toBe('rel');
  });

  it('bounds output and run time', async () => {
    const big = plugin('head -c 100000 /dev/zero');
    await expect(
      new ExecCredentialSource(config(big.path), { maxStdoutBytes: 1000 }).get(),
    ).rejects.toThrow(/was stopped: it wrote more than 1000 bytes to stdout/);
    const slow = plugin('sleep 5');
    await expect(
      new ExecCredentialSource(config(slow.path), { timeoutMs: 200 }).get(),
    ).rejects.toThrow(/was stopped: it did not finish within 0.2 s/);
  });

  it('refuses malformed answers and Always without a terminal', async () => {
    const cases: [string, RegExp][] = [
      ['echo nope', /did not print an ExecCredential \(not JSON\)/],
      [credential(v1beta1, { token: 't' }), /answered with apiVersion .*v1beta1, asked for .*v1$/],
      [credential(v1, {}), /returned neither a token nor a certificate/],
      [credential(v1, { clientCertificateData: 'C' }), /certificate or key without the other/],
      [credential(v1, { token: 't', expirationTimestamp: 'soon' }), /not a time/],
    ];
    for (const [body, error] of cases) {
      await expect(new ExecCredentialSource(config(plugin(body).path)).get()).rejects.toThrow(
        error,
      );
    }
    const always = config(plugin(credential(v1, { token: 't' })).path, {
      interactiveMode: 'Always',
    });
    await expect(new ExecCredentialSource(always, { stdinIsTTY: false }).get()).rejects.toThrow(
      /needs a terminal/,
    );
  });
});

describe('parseExecConfig', () => {
  it('checks the fields', () => {
    expect(() => parseExecConfig({ apiVersion: v1 }, 'exec')).toThrow('exec has no command');
    expect(() =>
      parseExecConfig({ apiVersion: v1, command: 'c', interactiveMode: 'Never', args: [1] }, 'e'),
    ).toThrow(/args is not a list of strings/);
    expect(
      parseExecConfig(
        { apiVersion: v1, command: 'c', interactiveMode: 'Always', provideClusterInfo: true },
        'e',
      ),
    ).toMatchObject({ interactiveMode: 'Always', provideClusterInfo: true });
  });
});
