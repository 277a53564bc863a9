// The command line of `kubectl bind`, with cobra/pflag's rules (users copy upstream's
// invocations): `--name value`, `--name=value`, `-o json`, `-ojson`, booleans as `--name` or
// `--name=false`, flags and arguments in any order, `--` ends the flags. Each command's flags,
// its --help text, and the typed options the commands run with.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.ts';

export interface FlagSpec {
  name: string;
  kind: 'string' | 'bool';
  help: string;
  /** The one-letter `-x` spelling. */
  shorthand?: string;
  /** The value's name in --help, e.g. `string`, `duration`. */
  valueName?: string;
  /** Shown in --help. */
  defaultText?: string;
}

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

export interface ParsedCommandLine {
  args: string[];
  flags: Map<string, string | boolean>;
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

export const commands: readonly CommandSpec[] = [
  loginCommand,
  templatesCommand,
  collectionsCommand,
];

/** Parses one command's arguments and flags; an unknown flag or a missing value is a UsageError. */
export function parseCommandLine(
  argv: readonly string[],
  specs: readonly FlagSpec[],
): ParsedCommandLine {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShorthand = new Map(
    specs.flatMap((s) => (s.shorthand ? [[s.shorthand, s] as const] : [])),
  );
  const out: ParsedCommandLine = { args: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.args.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let value: string | undefined;
    let shown: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      value = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byName.get(name);
      shown = `--${name}`;
      if (!spec) throw new UsageError(`unknown flag: ${shown}`);
    } else {
      // pflag: `-o json`, `-o=json`, `-ojson`.
      const letter = arg.slice(1, 2);
      spec = byShorthand.get(letter);
      shown = `-${letter}`;
      if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
      const rest = arg.slice(2);
      if (rest !== '') value = rest.startsWith('=') ? rest.slice(1) : rest;
    }
    if (spec.kind === 'bool') {
      out.flags.set(spec.name, value === undefined ? true : parseBool(shown, value));
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${shown}`);
    }
    out.flags.set(spec.name, value);
  }
  return out;
}

function parseBool(flag: string, value: string): boolean {
  // strconv.ParseBool's spellings.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new UsageError(`invalid argument "${value}" for ${flag}: want true or false`);
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

/** The --help text of `kubectl bind` itself. */
export function rootHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    'kubectl bind: bind APIs of a kube-bind service provider into this cluster.',
    '',
    'Usage:',
    '  kubectl bind <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run "kubectl bind <command> --help" for the flags of a command.',
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
  const timeoutText = stringFlag(parsed, 'timeout') ?? '5m';
  let timeoutMs: number;
  try {
    timeoutMs = parseGoDuration(timeoutText);
  } catch (err) {
    throw new UsageError(`invalid --timeout "${timeoutText}": ${(err as Error).message}`);
  }
  const cluster = stringFlag(parsed, 'cluster');
  return {
    server: parsed.args[0] ?? '',
    ...(cluster !== undefined && cluster !== '' && { cluster }),
    skipBrowser: parsed.flags.get('skip-browser') === true,
    timeoutMs,
    timeoutText,
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

function stringFlag(parsed: ParsedCommandLine, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function configFile(parsed: ParsedCommandLine, home: string): string {
  const path = stringFlag(parsed, 'config-file');
  if (path === '') throw new UsageError('--config-file must not be empty');
  return path ?? join(home, '.kube-bind', 'config');
}

const msPerUnit: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['\u00b5s', 1e-3],
  ['\u03bcs', 1e-3],
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

/** Go's duration syntax (`90s`, `5m`, `1h30m`, `1.5h`) in milliseconds; negative is refused. */
export function parseGoDuration(text: string): number {
  if (text.startsWith('-')) throw new Error('must not be negative');
  const body = text.startsWith('+') ? text.slice(1) : text;
  if (body === '0') return 0;
  if (body === '') throw new Error('is empty');
  const part = /(\d+(?:\.\d*)?|\.\d+)([^\d.]+)/y;
  let total = 0;
  while (part.lastIndex < body.length) {
    const start = part.lastIndex;
    const match = part.exec(body);
    if (!match) {
      throw new Error(
        /^\d*\.?\d*$/.test(body.slice(start)) ? 'has a number without a unit' : 'is not a duration',
      );
    }
    const unit = msPerUnit.get(match[2] ?? '');
    if (unit === undefined) throw new Error(`has an unknown unit "${match[2] ?? ''}"`);
    total += Number(match[1]) * unit;
  }
  if (!Number.isFinite(total) || total > 2 ** 31 - 1) throw new Error('is longer than 596h');
  return total;
}
