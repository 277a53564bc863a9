// The command line of `kubectl bind`, with cobra/pflag's rules (users copy upstream's
// invocations): `--name value`, `--name=value`, `-o json`, `-ojson`, booleans as `--name` or
// `--name=false`, flags and arguments in any order, `--` ends the flags. Each command's flags,
// its --help text, and the typed options the commands run with.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DurationError, parseGoDuration } from '../cli/duration.ts';
import {
  FlagError,
  parseCommandLine as parseFlagsAndArgs,
  type FlagSpec,
  type ParsedCommandLine,
} from '../cli/flags.ts';
import { releaseImage } from '../cli/version.ts';
import { UsageError } from './errors.ts';

export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The usage line after `kubectl bind`. */
  usage: string;
  description: string;
  examples: readonly string[];
  flags: readonly FlagSpec[];
}

const helpFlag: FlagSpec = {
  name: 'help',
  shorthand: 'h',
  kind: 'bool',
  help: 'help for the command',
};

const configFileFlag: FlagSpec = {
  name: 'config-file',
  kind: 'string',
  valueName: 'string',
  help: 'the file with the stored logins',
  defaultText: '~/.kube-bind/config',
};

export const loginCommand: CommandSpec = {
  name: 'login',
  summary: 'Log in to a kube-bind provider and store its token',
  usage: 'login <url> [flags]',
  description:
    'Asks the provider how to log in (GET /api/exports), opens the login page in a browser and\n' +
    'waits on a loopback port for the token, then stores it in the config file as the current\n' +
    "server. <url> is the provider's address (any path is replaced by /api/exports); a provider\n" +
    'cluster can be named as <url>@<cluster>, <cluster>@<url> or with --cluster.',
  examples: [
    'kubectl bind login https://provider.example.com',
    'kubectl bind login https://provider.example.com --cluster 2x4nz7jh3ly5a9kq',
    'kubectl bind login http://127.0.0.1:8080 --skip-browser --timeout 2m',
  ],
  flags: [
    {
      name: 'cluster',
      kind: 'string',
      valueName: 'string',
      help: 'the provider cluster to log in to (a kcp logical cluster)',
    },
    {
      name: 'skip-browser',
      kind: 'bool',
      help: 'do not open a browser; print the login URL and wait',
    },
    {
      name: 'timeout',
      kind: 'string',
      valueName: 'duration',
      help: 'how long to wait for the browser login; 0 waits without limit',
      defaultText: '5m',
    },
    configFileFlag,
    helpFlag,
  ],
};

const listFlags = (what: string): FlagSpec[] => [
  {
    name: 'server',
    kind: 'string',
    valueName: 'string',
    help: `the stored login to list ${what} of (a config key, e.g. <url> or <cluster>@<url>; default: the current one)`,
  },
  {
    name: 'output',
    shorthand: 'o',
    kind: 'string',
    valueName: 'string',
    help: 'output format: json or yaml (default: a table)',
  },
  configFileFlag,
  helpFlag,
];

export const templatesCommand: CommandSpec = {
  name: 'templates',
  summary: 'List the APIServiceExportTemplates a provider offers',
  usage: 'templates [flags]',
  description:
    "Lists the provider's APIServiceExportTemplates (GET /api/templates) with the stored login.",
  examples: ['kubectl bind templates', 'kubectl bind templates -o yaml'],
  flags: listFlags('templates'),
};

export const collectionsCommand: CommandSpec = {
  name: 'collections',
  summary: 'List the Collections of templates a provider offers',
  usage: 'collections [flags]',
  description: "Lists the provider's Collections (GET /api/collections) with the stored login.",
  examples: ['kubectl bind collections', 'kubectl bind collections -o json'],
  flags: listFlags('collections'),
};

/**
 * The konnector image applied unless --konnector-image says otherwise: our konnector of this
 * plugin's own version (upstream's plugin, likewise, deploys the konnector of its version).
 */
export const defaultKonnectorImage = releaseImage('konnector');

const serverFlag: FlagSpec = {
  name: 'server',
  kind: 'string',
  valueName: 'string',
  help: 'the stored login to bind from (a config key, e.g. <url> or <cluster>@<url>; default: the current one)',
};

/** The flags that say where the consumer cluster is and what this plugin does on it. */
const consumerFlags: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    kind: 'string',
    valueName: 'string',
    help: 'the kubeconfig of the consumer cluster (default: $KUBECONFIG, else ~/.kube/config)',
  },
  {
    name: 'context',
    kind: 'string',
    valueName: 'string',
    help: 'the kubeconfig context of the consumer cluster (default: the current context)',
  },
  {
    name: 'cluster-identity',
    kind: 'string',
    valueName: 'string',
    help: 'the identity of the consumer cluster at the provider (default: the UID of the namespace --cluster-identity-namespace)',
  },
  {
    name: 'cluster-identity-namespace',
    kind: 'string',
    valueName: 'string',
    help: 'the namespace whose UID identifies the consumer cluster',
    defaultText: 'kube-system',
  },
  {
    name: 'skip-konnector',
    kind: 'bool',
    help: 'do not deploy the konnector (it must already run, or be installed later)',
  },
  {
    name: 'konnector-image',
    kind: 'string',
    valueName: 'string',
    help: 'the konnector image to deploy',
    defaultText: defaultKonnectorImage,
  },
  {
    name: 'downgrade-konnector',
    kind: 'bool',
    help: "replace a newer running konnector with this plugin's version",
  },
  {
    name: 'dry-run',
    shorthand: 'd',
    kind: 'bool',
    help:
      'change nothing on the consumer or the provider cluster: print what would be done. The ' +
      "provider's backend is still asked for the binding (POST /api/bind), which prepares this " +
      "consumer's namespace and credentials on the provider side",
  },
  {
    name: 'output',
    shorthand: 'o',
    kind: 'string',
    valueName: 'string',
    help: 'output format of the bindings (with --dry-run: of the binding response): json or yaml (default: a table)',
  },
];

export const apiserviceCommand: CommandSpec = {
  name: 'apiservice',
  summary: 'Bind an APIServiceExportTemplate of a provider into this cluster',
  usage: 'apiservice --template-name <template> --name <name> [flags]',
  description:
    'Asks the provider for a binding of the template (POST /api/bind) with the stored login, then\n' +
    'binds it into the consumer cluster (the current kubeconfig context): stores the provider\n' +
    'kubeconfig as a Secret in namespace kube-bind, deploys the konnector, creates the\n' +
    'APIServiceExportRequest on the provider, waits until it succeeds, and creates the\n' +
    'APIServiceBinding <name>. Running it again reuses what is already there.',
  examples: [
    'kubectl bind apiservice --template-name cowboys --name my-cowboys',
    'kubectl bind apiservice --template-name cowboys --name my-cowboys --skip-konnector',
    'kubectl bind apiservice --template-name cowboys --name my-cowboys --dry-run -o yaml',
  ],
  flags: [
    {
      name: 'template-name',
      kind: 'string',
      valueName: 'string',
      help: 'the APIServiceExportTemplate to bind (see "kubectl bind templates")',
    },
    {
      name: 'name',
      kind: 'string',
      valueName: 'string',
      help: 'the name of the binding (the APIServiceExportRequest and the APIServiceBinding); also accepted as the argument',
    },
    serverFlag,
    ...consumerFlags,
    {
      name: 'timeout',
      kind: 'string',
      valueName: 'duration',
      help: 'how long to wait for the konnector and for each export request to succeed; 0 waits without limit',
      defaultText: '10m',
    },
    configFileFlag,
    helpFlag,
  ],
};

/** `kubectl bind [<url>]`: the UI-assisted flow (not in `commands`: it has no name). */
export const bindCommand: CommandSpec = {
  name: '',
  summary: "Bind through the provider's web UI",
  usage: '[<url>] [flags]',
  description:
    'kubectl bind: bind APIs of a kube-bind service provider into this cluster.\n\n' +
    "Without a command, opens the provider's web UI in a browser for a logged-in provider (the\n" +
    'current one, or <url> / --server naming a stored login). The UI logs in, lets you pick a\n' +
    'template and a name, and hands the binding back to this command on a loopback port; it is\n' +
    'then bound into the consumer cluster as "kubectl bind apiservice" does. The command waits\n' +
    'for the browser without limit unless --timeout is given.',
  examples: [
    'kubectl bind',
    'kubectl bind https://provider.example.com --skip-browser',
    'kubectl bind --server 2x4nz7jh3ly5a9kq@https://provider.example.com --dry-run',
  ],
  flags: [
    serverFlag,
    {
      name: 'skip-browser',
      kind: 'bool',
      help: 'do not open a browser; print the URL of the UI and wait',
    },
    {
      name: 'timeout',
      kind: 'string',
      valueName: 'duration',
      help: 'how long to wait for the browser; 0 waits without limit',
      defaultText: '0',
    },
    ...consumerFlags,
    configFileFlag,
    helpFlag,
  ],
};

export const commands: readonly CommandSpec[] = [
  loginCommand,
  templatesCommand,
  collectionsCommand,
  apiserviceCommand,
];

/** Parses one command's arguments and flags; an unknown flag or a missing value is a UsageError. */
export function parseCommandLine(
  argv: readonly string[],
  specs: readonly FlagSpec[],
): ParsedCommandLine {
  try {
    return parseFlagsAndArgs(argv, specs);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    throw new UsageError(err.message);
  }
}

/** The --help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const flagText = (f: FlagSpec): string =>
    (f.shorthand ? `  -${f.shorthand}, --${f.name}` : `      --${f.name}`) +
    (f.valueName ? ` ${f.valueName}` : '');
  const width = Math.max(...spec.flags.map((f) => flagText(f).length)) + 3;
  const flags = spec.flags.map((f) => {
    const dflt = f.defaultText ? ` (default ${f.defaultText})` : '';
    return `${flagText(f).padEnd(width)}${f.help}${dflt}`;
  });
  return [
    spec.description,
    '',
    'Usage:',
    `  kubectl bind ${spec.usage}`,
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'Flags:',
    ...flags,
    '',
  ].join('\n');
}

/** The --help text of `kubectl bind` itself (and of its UI-assisted flow). */
export function rootHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  const [usage = '', ...rest] = commandHelp(bindCommand).split('\nUsage:\n');
  return [
    usage.trimEnd(),
    '',
    'Usage:',
    '  kubectl bind <command> [flags]',
    rest.join('\nUsage:\n').trimEnd(),
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run "kubectl bind <command> --help" for the flags of a command,',
    '"kubectl bind --version" for the version of this plugin.',
    '',
  ].join('\n');
}

export interface LoginOptions {
  /** The <url> argument as typed. */
  server: string;
  cluster?: string;
  skipBrowser: boolean;
  /** 0: no limit. */
  timeoutMs: number;
  /** The --timeout value as typed, for messages. */
  timeoutText: string;
  configFile: string;
}

export interface ListOptions {
  server?: string;
  output: 'table' | 'json' | 'yaml';
  configFile: string;
}

export function loginOptions(parsed: ParsedCommandLine, home = homedir()): LoginOptions {
  if (parsed.args.length !== 1) {
    throw new UsageError(
      parsed.args.length === 0
        ? 'login needs the provider URL: kubectl bind login <url>'
        : `login takes one URL, got ${parsed.args.length} arguments`,
    );
  }
  const cluster = stringFlag(parsed, 'cluster');
  return {
    server: parsed.args[0] ?? '',
    ...(cluster !== undefined && cluster !== '' && { cluster }),
    skipBrowser: parsed.flags.get('skip-browser') === true,
    ...duration(parsed, '5m'),
    configFile: configFile(parsed, home),
  };
}

export function listOptions(parsed: ParsedCommandLine, home = homedir()): ListOptions {
  if (parsed.args.length > 0) {
    throw new UsageError(`unexpected argument "${parsed.args[0] ?? ''}"`);
  }
  const output = stringFlag(parsed, 'output') ?? '';
  if (output !== '' && output !== 'json' && output !== 'yaml') {
    throw new UsageError(`unsupported output format "${output}": want json or yaml`);
  }
  const server = stringFlag(parsed, 'server');
  return {
    ...(server !== undefined && server !== '' && { server }),
    output: output === '' ? 'table' : output,
    configFile: configFile(parsed, home),
  };
}

/** Where the consumer cluster is, and what to do there (shared by `apiservice` and `kubectl bind`). */
export interface ConsumerOptions {
  /** --kubeconfig; without it, $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
  clusterIdentity?: string;
  clusterIdentityNamespace: string;
  skipKonnector: boolean;
  konnectorImage: string;
  /** Replace a running konnector that is newer than konnectorImage. */
  downgradeKonnector: boolean;
  dryRun: boolean;
  output: 'table' | 'json' | 'yaml';
}

export interface ApiServiceOptions extends ConsumerOptions {
  templateName: string;
  name: string;
  server?: string;
  /** For the konnector and each export request. */
  timeoutMs: number;
  timeoutText: string;
  configFile: string;
}

export interface BindOptions extends ConsumerOptions {
  /** `<url>` or --server: the stored login whose UI to open. */
  server?: string;
  skipBrowser: boolean;
  /** How long to wait for the browser; 0: no limit. */
  timeoutMs: number;
  timeoutText: string;
  configFile: string;
}

export function apiserviceOptions(parsed: ParsedCommandLine, home = homedir()): ApiServiceOptions {
  if (parsed.args.length > 1) {
    throw new UsageError(`unexpected argument "${parsed.args[1] ?? ''}"`);
  }
  const templateName = stringFlag(parsed, 'template-name') ?? '';
  if (templateName === '') {
    throw new UsageError('--template-name is required (list them with "kubectl bind templates")');
  }
  const flagName = stringFlag(parsed, 'name');
  const argName = parsed.args[0];
  if (flagName !== undefined && argName !== undefined && flagName !== argName) {
    throw new UsageError(`the name is given twice: "${argName}" and --name "${flagName}"`);
  }
  const name = flagName ?? argName ?? '';
  if (name === '') throw new UsageError('--name is required: the name of the binding');
  checkObjectName(name);
  const server = stringFlag(parsed, 'server');
  return {
    templateName,
    name,
    ...(server !== undefined && server !== '' && { server }),
    ...consumerOptions(parsed),
    ...duration(parsed, '10m'),
    configFile: configFile(parsed, home),
  };
}

export function bindOptions(parsed: ParsedCommandLine, home = homedir()): BindOptions {
  if (parsed.args.length > 1) {
    throw new UsageError(`unexpected argument "${parsed.args[1] ?? ''}"`);
  }
  const url = parsed.args[0];
  if (url !== undefined && !/^[^/]*https?:\/\//i.test(url)) {
    // Not a URL (nor <cluster>@<url>): a mistyped command, most likely.
    throw new UsageError(`unknown command "${url}"`);
  }
  const flag = stringFlag(parsed, 'server');
  if (url !== undefined && flag !== undefined && flag !== '' && flag !== url) {
    throw new UsageError(`the provider is given twice: "${url}" and --server "${flag}"`);
  }
  const server = url ?? flag;
  return {
    ...(server !== undefined && server !== '' && { server }),
    skipBrowser: parsed.flags.get('skip-browser') === true,
    ...consumerOptions(parsed),
    ...duration(parsed, '0'),
    configFile: configFile(parsed, home),
  };
}

function consumerOptions(parsed: ParsedCommandLine): ConsumerOptions {
  const output = stringFlag(parsed, 'output') ?? '';
  if (output !== '' && output !== 'json' && output !== 'yaml') {
    throw new UsageError(`unsupported output format "${output}": want json or yaml`);
  }
  const nonEmpty = (name: string): string | undefined => {
    const value = stringFlag(parsed, name);
    if (value === '') throw new UsageError(`--${name} must not be empty`);
    return value;
  };
  const kubeconfig = nonEmpty('kubeconfig');
  const context = nonEmpty('context');
  const clusterIdentity = nonEmpty('cluster-identity');
  return {
    ...(kubeconfig !== undefined && { kubeconfig }),
    ...(context !== undefined && { context }),
    ...(clusterIdentity !== undefined && { clusterIdentity }),
    clusterIdentityNamespace: nonEmpty('cluster-identity-namespace') ?? 'kube-system',
    skipKonnector: parsed.flags.get('skip-konnector') === true,
    konnectorImage: nonEmpty('konnector-image') ?? defaultKonnectorImage,
    downgradeKonnector: parsed.flags.get('downgrade-konnector') === true,
    dryRun: parsed.flags.get('dry-run') === true,
    output: output === '' ? 'table' : output,
  };
}

/** Node's timers wait at most 2^31-1 ms (24.8 days); a longer one would fire at once. */
const maxTimerMs = 2 ** 31 - 1;

/** --timeout as Go reads it (`1000h` too), waited for at most maxTimerMs. */
function duration(
  parsed: ParsedCommandLine,
  fallback: string,
): { timeoutMs: number; timeoutText: string } {
  const timeoutText = stringFlag(parsed, 'timeout') ?? fallback;
  try {
    return { timeoutMs: Math.min(parseGoDuration(timeoutText), maxTimerMs), timeoutText };
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new UsageError(`invalid --timeout "${timeoutText}": ${err.message}`);
  }
}

/**
 * The binding's name names an APIServiceExportRequest and an APIServiceBinding: a DNS subdomain
 * (lower-case letters, digits, `-` and `.`, at most 253 characters).
 */
export function checkObjectName(name: string): void {
  if (
    name.length > 253 ||
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)
  ) {
    throw new UsageError(
      `invalid name "${name}": want lower-case letters, digits, "-" and "." (a DNS subdomain), starting and ending with a letter or digit`,
    );
  }
}

function stringFlag(parsed: ParsedCommandLine, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function configFile(parsed: ParsedCommandLine, home: string): string {
  const path = stringFlag(parsed, 'config-file');
  if (path === '') throw new UsageError('--config-file must not be empty');
  return path ?? join(home, '.kube-bind', 'config');
}
