// The life of a controller process: `--help`, `--version`, flags (exit 2 on bad ones, every
// problem named), a JSON logger at the flags' level (LOG_LEVEL, a pino level name, wins, for tests
// and local runs), and a run until SIGINT/SIGTERM. Exit codes: 0 after a signal, 1 on a runtime failure.
import type { Logger } from 'pino';
import { realClock, type Clock } from '../runtime/clock.ts';
import { FlagError, usage, type FlagSpec } from './flags.ts';
import type { LoggingOptions } from './logging.ts';
import { versionLine } from './version.ts';

export interface MainSpec<O extends { logging: LoggingOptions }> {
  /** The command's name in usage and errors, e.g. `konnector`. */
  name: string;
  flags: readonly FlagSpec[];
  load(argv: readonly string[]): O | Promise<O>;
  run(options: O, deps: { log: Logger; clock: Clock }, signal: AbortSignal): Promise<void>;
}

const versionFlag: FlagSpec = { name: 'version', kind: 'bool', help: 'print the version and exit' };

export async function runMain<O extends { logging: LoggingOptions }>(
  spec: MainSpec<O>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const flags = [...spec.flags, versionFlag];
    process.stdout.write(`Usage: ${spec.name} [flags]\n\n${usage(flags)}\n`);
    process.exit(0);
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${versionLine(spec.name)}\n`);
    process.exit(0);
  }
  let options: O;
  try {
    options = await spec.load(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${spec.name}: ${err.message}\nRun with --help for the flags.\n`);
    process.exit(2);
  }
  // pino loads only for a run: `--help`, `--version` and bad flags answer without it. `default`,
  // not `{ pino }`: pino is CommonJS, and in the bundle (hack/build.ts) a dynamic import of a
  // CommonJS module has only `default` (esbuild cannot list its named exports statically).
  const { default: pino } = await import('pino');
  const log = pino({ level: process.env['LOG_LEVEL'] ?? options.logging.level });
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      abort.abort();
    });
  }
  try {
    await spec.run(options, { log, clock: realClock }, abort.signal);
    process.exit(0);
  } catch (err) {
    if (abort.signal.aborted) process.exit(0);
    log.error({ err }, `${spec.name} failed`);
    process.exit(1);
  }
}
