import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import {
  commandHelp,
  listOptions,
  loginCommand,
  loginOptions,
  parseCommandLine,
  parseGoDuration,
  templatesCommand,
} from './options.ts';

describe('parseCommandLine', () => {
  it('reads flags in pflag spellings, interleaved with arguments', () => {
    const parsed = parseCommandLine(
      ['--cluster=c1', 'http://x', '--skip-browser', '--timeout', '2s', '--config-file=/c'],
      loginCommand.flags,
    );
    expect(parsed.args).toEqual(['http://x']);
    expect(Object.fromEntries(parsed.flags)).toEqual({
      cluster: 'c1',
      'skip-browser': true,
      timeout: '2s',
      'config-file': '/c',
    });
    expect(
      parseCommandLine(['--skip-browser=false'], loginCommand.flags).flags.get('skip-browser'),
    ).toBe(false);
  });

  it.each([['-o', 'json'], ['-ojson'], ['-o=json'], ['--output', 'json'], ['--output=json']])(
    'reads the output shorthand %s',
    (...argv) => {
      expect(parseCommandLine(argv, templatesCommand.flags).flags.get('output')).toBe('json');
    },
  );

  it('stops reading flags at --', () => {
    expect(parseCommandLine(['--', '--cluster'], loginCommand.flags).args).toEqual(['--cluster']);
  });

  it.each([
    [['--nope'], 'unknown flag: --nope'],
    [['-x'], "unknown shorthand flag: 'x'"],
    [['--timeout'], 'flag needs an argument: --timeout'],
    [['--skip-browser=maybe'], 'invalid argument "maybe"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv, loginCommand.flags)).toThrow(UsageError);
    expect(() => parseCommandLine(argv, loginCommand.flags)).toThrow(message);
  });
});

describe('options', () => {
  it('has defaults for login', () => {
    const opts = loginOptions(parseCommandLine(['http://x'], loginCommand.flags), '/home/u');
    expect(opts).toEqual({
      server: 'http://x',
      skipBrowser: false,
      timeoutMs: 300_000,
      timeoutText: '5m',
      configFile: '/home/u/.kube-bind/config',
    });
  });

  it('refuses a missing URL, extra arguments and a bad timeout', () => {
    const login = (...argv: string[]) =>
      loginOptions(parseCommandLine(argv, loginCommand.flags), '/h');
    expect(() => login()).toThrow('login needs the provider URL');
    expect(() => login('a', 'b')).toThrow('login takes one URL, got 2 arguments');
    expect(() => login('a', '--timeout=10')).toThrow(
      'invalid --timeout "10": has a number without a unit',
    );
    expect(() => login('a', '--timeout=-1s')).toThrow('must not be negative');
  });

  it('reads the list flags', () => {
    const list = (...argv: string[]) =>
      listOptions(parseCommandLine(argv, templatesCommand.flags), '/h');
    expect(list()).toEqual({ output: 'table', configFile: '/h/.kube-bind/config' });
    expect(list('-o', 'yaml', '--server', 'c@http://x')).toEqual({
      output: 'yaml',
      server: 'c@http://x',
      configFile: '/h/.kube-bind/config',
    });
    expect(() => list('-o', 'wide')).toThrow('unsupported output format "wide"');
    expect(() => list('extra')).toThrow('unexpected argument "extra"');
  });

  it('prints help with every flag', () => {
    const help = commandHelp(loginCommand);
    for (const flag of loginCommand.flags) expect(help).toContain(`--${flag.name}`);
    expect(help).toContain('kubectl bind login <url> [flags]');
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['2s', 2000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['+3s', 3000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '5', 's', '5x', '1h-2m', '1000h'])('refuses %j', (text) => {
    expect(() => parseGoDuration(text)).toThrow();
  });
});
