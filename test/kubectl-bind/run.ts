// Runs the real bin/kubectl-bind as a user would, with its own HOME (so its own
// ~/.kube-bind/config), and collects its output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { eventually } from '../harness/context.ts';
import { repoRoot } from '../harness/tools.ts';

export interface Run {
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Waits until stderr shows a URL matching `pattern` (one indented line), and returns it. */
  printedUrl(pattern: RegExp): Promise<URL>;
}

/** Starts bin/kubectl-bind with HOME=home and `env`; killed if still running when the test ends. */
export function kubectlBind(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Run {
  const child = spawn(join(repoRoot, 'bin/kubectl-bind'), args, {
    cwd: home,
    env: { ...process.env, HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    printedUrl: (pattern) =>
      eventually(
        `kubectl bind to print a URL matching ${pattern.source}`,
        () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
          const url = /^ {2}(http:\/\/\S+)$/m.exec(stderr)?.[1];
          return url !== undefined && pattern.test(url) ? new URL(url) : undefined;
        },
        // A wait, not a speed check: at the end of a full run, with nodes, pods and browsers
        // beside it, a CLI once took over 20 s to start and reach the front door.
        { timeoutMs: 60_000, intervalMs: 50 },
      ),
  };
}

/** Runs a command to its end. */
export async function run(home: string, args: readonly string[], env: Record<string, string> = {}) {
  const r = kubectlBind(home, args, env);
  const code = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}
