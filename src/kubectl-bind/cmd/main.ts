// `bin/kubectl-bind` (`kubectl bind` finds it on PATH): login, templates, collections,
// apiservice, and without a command the UI-assisted flow.
// Exit codes: 0 done, 1 the command failed (one line on stderr), 2 bad usage.
// Only the flag tables load up front: a command's module (and with it the Kubernetes client,
// yaml, …) is imported when that command runs, so `--help` and usage errors start fast.
import type { BindCommandIO } from '../bind.ts';
import { CommandError, UsageError, oneLine } from '../errors.ts';
import { login, openBrowser } from '../login.ts';
import { versionLine } from '../../cli/version.ts';
import {
  apiserviceCommand,
  apiserviceOptions,
  bindCommand,
  bindOptions,
  collectionsCommand,
  commandHelp,
  commands,
  listOptions,
  loginOptions,
  parseCommandLine,
  rootHelp,
  templatesCommand,
} from '../options.ts';

const io: BindCommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  now: () => Date.now(),
  openBrowser,
};

/** Runs the command line; returns the exit code. */
async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (argv.includes('--version')) {
    io.stdout(`${versionLine('kubectl-bind')}\n`);
    return 0;
  }
  if (name === 'help') {
    const topic = commands.find((c) => c.name === rest[0]);
    io.stdout(topic ? commandHelp(topic) : rootHelp());
    return 0;
  }
  const spec = commands.find((c) => c.name === name);
  if (!spec) {
    // No command: the UI-assisted flow, `kubectl bind [<url>] [flags]`.
    const parsed = parseCommandLine(argv, bindCommand.flags);
    if (parsed.flags.get('help') === true) {
      io.stdout(rootHelp());
      return 0;
    }
    const options = bindOptions(parsed);
    const { bindCommand: runBind } = await import('../bind.ts');
    await runBind(options, io);
    return 0;
  }
  const parsed = parseCommandLine(rest, spec.flags);
  if (parsed.flags.get('help') === true) {
    io.stdout(commandHelp(spec));
    return 0;
  }
  switch (spec) {
    case templatesCommand:
    case collectionsCommand: {
      const options = listOptions(parsed);
      const { listCommand } = await import('../list.ts');
      await listCommand(spec === templatesCommand ? 'templates' : 'collections', options, io);
      break;
    }
    case apiserviceCommand: {
      const options = apiserviceOptions(parsed);
      const { apiserviceCommand: runApiservice } = await import('../apiservice.ts');
      await runApiservice(options, io);
      break;
    }
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
