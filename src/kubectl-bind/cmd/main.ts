// `bin/kubectl-bind` (`kubectl bind` finds it on PATH): login, templates, collections.
// Exit codes: 0 done, 1 the command failed (one line on stderr), 2 bad usage.
import { CommandError, UsageError, oneLine } from '../errors.ts';
import { listCommand } from '../list.ts';
import { login, openBrowser, type CommandIO } from '../login.ts';
import {
  collectionsCommand,
  commandHelp,
  commands,
  listOptions,
  loginOptions,
  parseCommandLine,
  rootHelp,
  templatesCommand,
} from '../options.ts';

const io: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  now: () => Date.now(),
  openBrowser,
};

/** Runs the command line; returns the exit code. */
async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = commands.find((c) => c.name === rest[0]);
    const text = topic ? commandHelp(topic) : rootHelp();
    if (name === undefined) io.stderr(`${text}error: missing command\n`);
    else io.stdout(text);
    // The UI-assisted flow (`kubectl bind` alone) is not part of this plugin yet.
    return name === undefined ? 2 : 0;
  }
  const spec = commands.find((c) => c.name === name);
  if (!spec) throw new UsageError(`unknown command "${name}"`);
  const parsed = parseCommandLine(rest, spec.flags);
  if (parsed.flags.get('help') === true) {
    io.stdout(commandHelp(spec));
    return 0;
  }
  switch (spec) {
    case templatesCommand:
      await listCommand('templates', listOptions(parsed), io);
      break;
    case collectionsCommand:
      await listCommand('collections', listOptions(parsed), io);
      break;
    default:
      await login(loginOptions(parsed), io);
  }
  return 0;
}

/** Runs the command line and reports a failure; returns the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    const command = commands.find((c) => c.name === argv[0]);
    if (err instanceof UsageError) {
      const help = command ? `kubectl bind ${command.name} --help` : 'kubectl bind --help';
      io.stderr(`error: ${oneLine(err.message)}\nRun "${help}" for usage.\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`error: ${oneLine(message)}\n`);
    if (
      !(err instanceof CommandError) &&
      err instanceof Error &&
      process.env['KUBECTL_BIND_DEBUG']
    ) {
      io.stderr(`${err.stack ?? ''}\n`);
    }
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Let stdout and stderr drain (pipes) before leaving; idle keep-alive sockets must not hold it.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
