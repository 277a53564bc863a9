import { describe, expect, it } from 'vitest';
import { FlagError, parseCommandLine, parseFlags, usage, type FlagSpec } from './flags.ts';

const specs: FlagSpec[] = [
  { name: 'kubeconfig', kind: 'string', help: 'a path' },
  { name: 'install-crds', kind: 'bool', help: 'install', defaultText: 'true' },
  { name: 'konnector-host-alias', kind: 'list', help: 'aliases' },
];

describe('parseFlags (pflag rules)', () => {
  it('takes --name=value and --name value', () => {
    expect(parseFlags(['--kubeconfig=/a'], specs).get('kubeconfig')).toBe('/a');
    expect(parseFlags(['--kubeconfig', '/b'], specs).get('kubeconfig')).toBe('/b');
    expect(() => parseFlags(['-kubeconfig=/c'], specs)).toThrow('unknown shorthand flag');
  });

  it('reads booleans as a bare flag or with strconv.ParseBool spellings', () => {
    expect(parseFlags(['--install-crds'], specs).get('install-crds')).toBe(true);
    for (const v of ['false', 'f', '0', 'FALSE', 'False']) {
      expect(parseFlags([`--install-crds=${v}`], specs).get('install-crds')).toBe(false);
    }
    expect(() => parseFlags(['--install-crds=nope'], specs)).toThrow(
      'invalid argument "nope" for --install-crds',
    );
  });

  it('does not take the next argument as a boolean value', () => {
    expect(() => parseFlags(['--install-crds', 'false'], specs)).toThrow(
      'unexpected argument "false"',
    );
  });

  it('repeats and splits list flags', () => {
    const flags = parseFlags(
      ['--konnector-host-alias=1.2.3.4:a,b', '--konnector-host-alias', '5.6.7.8:c'],
      specs,
    );
    expect(flags.get('konnector-host-alias')).toEqual(['1.2.3.4:a', 'b', '5.6.7.8:c']);
  });

  it('rejects unknown flags, missing values and stray arguments', () => {
    expect(() => parseFlags(['--isolaton=None'], specs)).toThrow(FlagError);
    expect(() => parseFlags(['--isolaton=None'], specs)).toThrow('unknown flag: --isolaton');
    expect(() => parseFlags(['--kubeconfig'], specs)).toThrow('flag needs an argument');
    expect(() => parseFlags(['serve'], specs)).toThrow('unexpected argument "serve"');
  });

  it('prints one usage line per flag with its default', () => {
    const text = usage(specs);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('--install-crds');
    expect(text).toContain('(default true)');
  });
});

describe("parseCommandLine (the arguments are the caller's)", () => {
  const withShorthand: FlagSpec[] = [
    ...specs,
    { name: 'output', shorthand: 'o', kind: 'string', help: 'format' },
    { name: 'v', shorthand: 'v', kind: 'string', help: 'verbosity' },
  ];

  it('keeps arguments in order, around flags and after --', () => {
    const { args, flags } = parseCommandLine(
      ['a', '--kubeconfig', '/k', 'b', '--', '--install-crds'],
      withShorthand,
    );
    expect(args).toEqual(['a', 'b', '--install-crds']);
    expect(flags.get('kubeconfig')).toBe('/k');
  });

  it.each([['-o', 'json'], ['-ojson'], ['-o=json']])('reads the shorthand %s', (...argv) => {
    expect(parseCommandLine(argv, withShorthand).flags.get('output')).toBe('json');
  });

  it('reads -v2 as pflag does, for the controllers too', () => {
    expect(parseFlags(['-v2'], withShorthand).get('v')).toBe('2');
    expect(parseFlags(['-v', '3'], withShorthand).get('v')).toBe('3');
  });

  it('names an unknown shorthand as pflag does', () => {
    expect(() => parseCommandLine(['-x'], withShorthand)).toThrow(
      "unknown shorthand flag: 'x' in -x",
    );
  });
});
