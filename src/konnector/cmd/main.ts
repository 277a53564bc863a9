// `bin/konnector`: parses the flags, then runs the konnector until SIGINT/SIGTERM.
// Exit codes: 0 after a signal, 1 on a runtime failure, 2 on bad flags.
import { pino } from 'pino';
import { FlagError, usage } from '../../runtime/cli/flags.ts';
import { realClock } from '../../runtime/clock.ts';
import { runKonnector } from '../app/app.ts';
import { konnectorFlags, loadKonnectorOptions } from '../options/options.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`Usage: konnector [flags]\n\n${usage(konnectorFlags)}\n`);
  process.exit(0);
}

let options;
try {
  options = loadKonnectorOptions(argv);
} catch (err) {
  if (!(err instanceof FlagError)) throw err;
  process.stderr.write(`konnector: ${err.message}\nRun with --help for the flags.\n`);
  process.exit(2);
}
// LOG_LEVEL (a pino level name) wins over -v, for tests and local runs.
const log = pino({ level: process.env['LOG_LEVEL'] ?? options.logging.level });

const abort = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping');
    abort.abort();
  });
}
try {
  await runKonnector(options, { log, clock: realClock }, abort.signal);
  process.exit(0);
} catch (err) {
  if (abort.signal.aborted) process.exit(0);
  log.error({ err }, 'konnector failed');
  process.exit(1);
}
