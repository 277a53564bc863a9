// Reads parsed flags into typed values while collecting every invalid one, so the operator sees
// all mistakes of a deployment at once instead of one per restart.
import { FlagError, type ParsedFlags } from './flags.ts';
import { ValueError } from './values.ts';

export class FlagReader {
  readonly #flags: ParsedFlags;
  readonly #errors: string[] = [];
  readonly #invalid = new Set<string>();

  constructor(flags: ParsedFlags) {
    this.#flags = flags;
  }

  /** The text given for a string flag, undefined when absent. */
  raw(name: string): string | undefined {
    const given = this.#flags.get(name);
    if (given === undefined) return undefined;
    if (typeof given !== 'string') throw new Error(`BUG: --${name} is not a string flag`);
    return given;
  }

  /**
   * The converted value of --name. When absent, or invalid (then recorded), its default: the
   * default's flag text converted the same way, so --help and the behaviour cannot drift apart.
   */
  value<T>(name: string, defaultText: string, convert: (raw: string) => T): T {
    return this.optional(name, convert) ?? convert(defaultText);
  }

  /** The converted value of --name; undefined when absent or invalid (then recorded). */
  optional<T>(name: string, convert: (raw: string) => T): T | undefined {
    const given = this.raw(name);
    return given === undefined ? undefined : this.check(name, given, convert);
  }

  /**
   * A flag with a second spelling (a deprecated name, or the one in upstream's docs). Both may
   * be given if they mean the same; differing values are an error, as neither obviously wins.
   */
  aliased<T>(
    names: readonly [string, string],
    defaultText: string,
    convert: (raw: string) => T,
  ): T {
    const [name, alias] = names;
    const primary = this.optional(name, convert);
    const secondary = this.optional(alias, convert);
    if (primary !== undefined && secondary !== undefined && primary !== secondary) {
      const [a, b] = [this.raw(name) ?? '', this.raw(alias) ?? ''];
      this.#record(
        name,
        `conflicting --${name} ${JSON.stringify(a)} and --${alias} ${JSON.stringify(b)}: ` +
          `give one of them`,
      );
    }
    return primary ?? secondary ?? convert(defaultText);
  }

  bool(name: string, fallback: boolean): boolean {
    const given = this.#flags.get(name);
    return typeof given === 'boolean' ? given : fallback;
  }

  /** A list flag: the given items replace the default, as with pflag's StringSlice. */
  list(name: string, fallback: readonly string[]): string[] {
    const given = this.#flags.get(name);
    return Array.isArray(given) ? [...given] : [...fallback];
  }

  /** Converts `raw` for --name; undefined (and recorded) when the converter refuses it. */
  check<T>(name: string, raw: string, convert: (raw: string) => T): T | undefined {
    try {
      return convert(raw);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      this.fail(name, raw, err.message);
      return undefined;
    }
  }

  /** Records `invalid --name "raw": why`. */
  fail(name: string, raw: string, why: string): void {
    this.#record(name, `invalid --${name} ${JSON.stringify(raw)}: ${why}`);
  }

  /** Records `--name is required: why` (a flag that must be given in this configuration). */
  missing(name: string, why: string): void {
    this.#record(name, `--${name} is required ${why}`);
  }

  isInvalid(name: string): boolean {
    return this.#invalid.has(name);
  }

  /** One FlagError with every recorded problem, in the order they were found. */
  throwIfInvalid(): void {
    if (this.#errors.length > 0) throw new FlagError(this.#errors.join('; '));
  }

  #record(name: string, message: string): void {
    this.#invalid.add(name);
    this.#errors.push(message);
  }
}
