// A command-line parser with Go pflag's rules, since operators move flags over from upstream's
// deployments unchanged: `--name=value` or `--name value`, booleans as `--name` or `--name=false`,
// repeatable flags, and any unknown flag is an error (upstream aborts on one too).

export interface FlagSpec {
  name: string;
  /** `list`: comma-separated and repeatable (pflag StringSlice); `array`: repeatable only (StringArray). */
  kind: 'string' | 'bool' | 'list' | 'array';
  help: string;
  /** Shown in --help; parsing leaves absent flags out of the result. */
  defaultText?: string;
  /** A one-letter `-x` spelling (pflag shorthand), e.g. `-v=2` for `--v=2`. */
  shorthand?: string;
}

export type ParsedFlags = Map<string, string | boolean | string[]>;

/** A flag was unknown, or its value malformed; the message names the flag. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShorthand = new Map(specs.flatMap((s) => (s.shorthand ? [[s.shorthand, s.name]] : [])));
  const out: ParsedFlags = new Map();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] ?? '';
    const short = /^-([a-zA-Z])(=.*)?$/.exec(arg);
    const long = short ? byShorthand.get(short[1] ?? '') : undefined;
    if (short && long) arg = `--${long}${short[2] ?? ''}`;
    if (!arg.startsWith('--') || arg === '--') {
      // pflag reads `-x` as shorthand flags, and the backend defines only -v.
      const what = arg.startsWith('-') ? 'unknown shorthand flag' : 'unexpected argument';
      throw new FlagError(`${what} "${arg}": flags are spelled --name`);
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let value: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec.kind === 'bool') {
      out.set(name, value === undefined ? true : parseBool(name, value));
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
    }
    if (spec.kind === 'list' || spec.kind === 'array') {
      const previous = out.get(name);
      const items = spec.kind === 'list' ? value.split(',').filter((item) => item !== '') : [value];
      out.set(name, [...(Array.isArray(previous) ? previous : []), ...items]);
    } else {
      out.set(name, value);
    }
  }
  return out;
}

function parseBool(name: string, value: string): boolean {
  // strconv.ParseBool's spellings.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new FlagError(`invalid argument "${value}" for --${name}: want true or false`);
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
