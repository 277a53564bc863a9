// Runs a program whose output we parse (an exec credential plugin) with bounds: a plugin that
// hangs or prints without end must not hang or exhaust the process that depends on it.
import { spawn } from 'node:child_process';

export interface BoundedRunOptions {
  env: NodeJS.ProcessEnv;
  /**
   * Hands the program our standard input and copies its stderr to ours as well (prompts go
   * there), for plugins that ask the user something.
   */
  interactive: boolean;
  maxStdoutBytes: number;
  /** Only the last this many bytes of stderr are kept (errors come at the end). */
  maxStderrBytes: number;
  timeoutMs: number;
}

export interface BoundedRunResult {
  stdout: string;
  /** The tail of stderr, at most maxStderrBytes. */
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the program was killed, when it was. */
  killed?: string;
}

/**
 * Runs `command` to its end (or until a bound is hit, then kills it). Rejects only when it
 * cannot be started at all; the error's `code` is then e.g. ENOENT or EACCES.
 */
export function runBounded(
  command: string,
  args: readonly string[],
  opts: BoundedRunOptions,
): Promise<BoundedRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env,
      stdio: [opts.interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so a kill reaches what a wrapper script started too. Not for an
      // interactive run: that would cut it off the terminal (and from Ctrl-C).
      detached: !opts.interactive,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let killed: string | undefined;
    const kill = (why: string) => {
      if (killed !== undefined) return;
      killed = why;
      try {
        if (!opts.interactive && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A grandchild that escaped the kill may hold the pipes open; stop waiting for them.
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => {
      kill(`it did not finish within ${opts.timeoutMs / 1000} s`);
    }, opts.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > opts.maxStdoutBytes) {
        kill(`it wrote more than ${opts.maxStdoutBytes} bytes to stdout`);
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (opts.interactive) process.stderr.write(chunk);
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > opts.maxStderrBytes) stderr = stderr.subarray(-opts.maxStderrBytes);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: BoundedRunResult = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: stderr.toString('utf8'),
        code,
        signal,
      };
      if (killed !== undefined) result.killed = killed;
      resolve(result);
    });
  });
}
