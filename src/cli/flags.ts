// The one command-line parser of every program, with Go pflag's rules, since operators and users
// copy upstream's flags unchanged: `--name=value` or `--name value`, shorthands as `-o json`,
// `-o=json` or `-ojson`, booleans as `--name` or `--name=false`, repeatable flags, `--` ends the
// flags, and any unknown flag is an error (upstream aborts on one too).

export interface FlagSpec {
  name: string;
  /** `list`: comma-separated and repeatable (pflag StringSlice); `array`: repeatable only (StringArray). */
  kind: 'string' | 'bool' | 'list' | 'array';
  help: string;
  /** Shown in --help; parsing leaves absent flags out of the result. */
  defaultText?: string;
  /** A one-letter `-x` spelling (pflag shorthand), e.g. `-v=2` for `--v=2`. */
  shorthand?: string;
  /** The value's name in a kubectl-style --help, e.g. `string`, `duration`. */
  valueName?: string;
}

export type ParsedFlags = Map<string, string | boolean | string[]>;

export interface ParsedCommandLine {
  /** The arguments that are not flags, in order. */
  args: string[];
  flags: ParsedFlags;
}

/** A flag was unknown, or its value malformed; the message names the flag. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Flags and arguments in any order; the arguments are the caller's to check. */
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
    const { spec, value, shown } = arg.startsWith('--')
      ? longFlag(arg, byName)
      : shortFlag(arg, byShorthand);
    if (spec.kind === 'bool') {
      out.flags.set(spec.name, value === undefined ? true : parseBool(shown, value));
      continue;
    }
    const given = value ?? argv[++i];
    if (given === undefined) throw new FlagError(`flag needs an argument: ${shown}`);
    out.flags.set(spec.name, withValue(spec, out.flags.get(spec.name), given));
  }
  return out;
}

/**
 * The flags of a program that takes no arguments (the backend, the konnector, kcp-init): an
 * argument is a mistake, most likely a flag spelled without its dashes.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const { args, flags } = parseCommandLine(argv, specs);
  if (args.length > 0) {
    throw new FlagError(`unexpected argument "${args[0] ?? ''}": flags are spelled --name`);
  }
  return flags;
}

interface FlagUse {
  spec: FlagSpec;
  /** Undefined: none given with the flag itself (`--name`, `-x`). */
  value: string | undefined;
  /** The flag as messages name it. */
  shown: string;
}

function longFlag(arg: string, byName: ReadonlyMap<string, FlagSpec>): FlagUse {
  const eq = arg.indexOf('=');
  const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
  const spec = byName.get(name);
  if (!spec) throw new FlagError(`unknown flag: --${name}`);
  return { spec, value: eq === -1 ? undefined : arg.slice(eq + 1), shown: `--${name}` };
}

function shortFlag(arg: string, byShorthand: ReadonlyMap<string, FlagSpec>): FlagUse {
  const letter = arg.slice(1, 2);
  const spec = byShorthand.get(letter);
  if (!spec) throw new FlagError(`unknown shorthand flag: '${letter}' in ${arg}`);
  const rest = arg.slice(2);
  const value = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
  return { spec, value, shown: `-${letter}` };
}

/** A string flag's value replaces; a list or array flag's adds up. */
function withValue(
  spec: FlagSpec,
  previous: string | boolean | string[] | undefined,
  value: string,
): string | string[] {
  if (spec.kind !== 'list' && spec.kind !== 'array') return value;
  const items = spec.kind === 'list' ? value.split(',').filter((item) => item !== '') : [value];
  return [...(Array.isArray(previous) ? previous : []), ...items];
}

function parseBool(flag: string, value: string): boolean {
  // strconv.ParseBool's spellings.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new FlagError(`invalid argument "${value}" for ${flag}: want true or false`);
}

/** The --help text: one line per flag with its default. */
export function usage(specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  return specs
    .map((s) => {
      const dflt = s.defaultText ? ` (default ${s.defaultText})` : '';
      return `  --${s.name.padEnd(width)}${s.help}${dflt}`;
    })
    .join('\n');
}
