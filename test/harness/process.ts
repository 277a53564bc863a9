// Child processes for the real servers. Each runs under `setpriv --pdeathsig KILL`, so the kernel
// kills it if this process dies without cleaning up (kill -9, a crash): no orphaned servers. Its
// stdout and stderr go to a log file that the harness keeps as an artifact when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  /** Short name used for the log file and in errors, e.g. `provider-kube-apiserver`. */
  name: string;
  command: string;
  args: readonly string[];
  logDir: string;
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ManagedProcess>();
const setprivPath = '/usr/bin/setpriv';

/** Sends SIGKILL to every server still running; synchronous, for exit and signal handlers. */
export function killAllNow(): void {
  for (const p of live) p.kill('SIGKILL');
}

// Last resort: whatever is still running when the process exits gets SIGKILL (exit handlers
// must be synchronous, so no grace period here; graceful stops happen in stop()).
process.once('exit', killAllNow);

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  /** Set when the binary could not be started at all (missing, not executable). */
  spawnError: Error | undefined;
  readonly #child: ChildProcess;
  #exit: Exit | undefined;

  constructor(spec: ProcessSpec) {
    this.name = spec.name;
    this.logFile = join(spec.logDir, `${spec.name}.log`);
    const log = openSync(this.logFile, 'a');
    const [command, args] = existsSync(setprivPath)
      ? [setprivPath, ['--pdeathsig', 'KILL', '--', spec.command, ...spec.args]]
      : [spec.command, [...spec.args]];
    try {
      this.#child = spawn(command, args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    live.add(this);
    this.exited = new Promise<Exit>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.#exit) return;
        live.delete(this);
        this.#exit = { code, signal };
        resolve(this.#exit);
      };
      this.#child.once('exit', done);
      this.#child.once('error', (err) => {
        this.spawnError = err;
        done(127, null);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

export class ProcessFailedError extends Error {
  constructor(proc: ManagedProcess, what: string) {
    const reason = proc.spawnError
      ? `could not be started: ${proc.spawnError.message}`
      : 'exited before it was ready';
    super(`${proc.name} ${reason} (${what}); last log lines of ${proc.logFile}:\n${proc.tail()}`);
    this.name = 'ProcessFailedError';
  }
}

/**
 * Polls `check` until it returns true. Fails early, with the log tail, if `proc` exits, and
 * after `timeoutMs` with the last error the check threw.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 120_000, intervalMs = 200 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!proc.running) throw new ProcessFailedError(proc, what);
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(
    `${proc.name} was not ${what} after ${timeoutMs / 1000}s${cause}; last log lines:\n${proc.tail()}`,
  );
}

/** Stops processes in reverse start order (servers before their storage). */
export async function stopAll(procs: readonly ManagedProcess[], graceMs?: number): Promise<void> {
  for (const p of [...procs].reverse()) await p.stop(graceMs);
}
