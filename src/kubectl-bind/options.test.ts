import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../cli/duration.ts';
import { UsageError } from './errors.ts';
import {
  apiserviceCommand,
  apiserviceOptions,
  bindCommand,
  bindOptions,
  commandHelp,
  listOptions,
  loginCommand,
  loginOptions,
  parseCommandLine,
  rootHelp,
  templatesCommand,
} from './options.ts';

/** The default konnector image: ours, of the plugin's version (package.json's). */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const ourKonnector = `ghcr.io/kube-bind-ts/konnector:v${pkg.version}`;

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

  it('reads a timeout longer than a timer can wait, and waits as long as a timer can', () => {
    const opts = loginOptions(parseCommandLine(['a', '--timeout=1000h'], loginCommand.flags), '/h');
    expect(opts).toMatchObject({ timeoutMs: 2 ** 31 - 1, timeoutText: '1000h' });
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
    // Go reads it; the plugin's own parser once refused anything above 596h.
    ['1000h', 3_600_000_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '5', 's', '5x', '1h-2m'])('refuses %j', (text) => {
    expect(() => parseGoDuration(text)).toThrow();
  });
});

describe('apiservice and kubectl bind options', () => {
  const apiservice = (...argv: string[]) =>
    apiserviceOptions(parseCommandLine(argv, apiserviceCommand.flags), '/h');
  const bind = (...argv: string[]) => bindOptions(parseCommandLine(argv, bindCommand.flags), '/h');

  it('has defaults for apiservice', () => {
    expect(apiservice('--template-name', 't', '--name', 'n')).toEqual({
      templateName: 't',
      name: 'n',
      clusterIdentityNamespace: 'kube-system',
      skipKonnector: false,
      konnectorImage: ourKonnector,
      downgradeKonnector: false,
      dryRun: false,
      output: 'table',
      timeoutMs: 600_000,
      timeoutText: '10m',
      configFile: '/h/.kube-bind/config',
    });
  });

  it('reads every apiservice flag, and the name as the argument', () => {
    expect(
      apiservice(
        'n.x',
        '--template-name=t',
        '--server',
        'c@http://x',
        '--kubeconfig',
        '/k',
        '--context',
        'ctx',
        '--cluster-identity',
        'id',
        '--cluster-identity-namespace',
        'default',
        '--skip-konnector',
        '--konnector-image',
        'img',
        '--downgrade-konnector',
        '-d',
        '-oyaml',
        '--timeout',
        '30s',
      ),
    ).toEqual({
      templateName: 't',
      name: 'n.x',
      server: 'c@http://x',
      kubeconfig: '/k',
      context: 'ctx',
      clusterIdentity: 'id',
      clusterIdentityNamespace: 'default',
      skipKonnector: true,
      konnectorImage: 'img',
      downgradeKonnector: true,
      dryRun: true,
      output: 'yaml',
      timeoutMs: 30_000,
      timeoutText: '30s',
      configFile: '/h/.kube-bind/config',
    });
  });

  it.each([
    [['--name', 'n'], '--template-name is required'],
    [['--template-name', 't'], '--name is required'],
    [['--template-name', 't', 'a', '--name', 'b'], 'the name is given twice'],
    [['--template-name', 't', 'a', 'b'], 'unexpected argument "b"'],
    [['--template-name', 't', '--name', 'My_Name'], 'invalid name "My_Name"'],
    [['--template-name', 't', '--name', 'n', '-o', 'wide'], 'unsupported output format "wide"'],
    [['--template-name', 't', '--name', 'n', '--kubeconfig='], '--kubeconfig must not be empty'],
    [['--template-name', 't', '--name', 'n', '--timeout', '5'], 'invalid --timeout "5"'],
  ])('apiservice refuses %j', (argv, message) => {
    expect(() => apiservice(...argv)).toThrow(UsageError);
    expect(() => apiservice(...argv)).toThrow(message);
  });

  it('reads the flags of kubectl bind; the URL names the stored login', () => {
    expect(bind()).toEqual({
      skipBrowser: false,
      clusterIdentityNamespace: 'kube-system',
      skipKonnector: false,
      konnectorImage: ourKonnector,
      downgradeKonnector: false,
      dryRun: false,
      output: 'table',
      timeoutMs: 0,
      timeoutText: '0',
      configFile: '/h/.kube-bind/config',
    });
    expect(bind('c@http://x', '--skip-browser', '--timeout=1m', '--dry-run')).toMatchObject({
      server: 'c@http://x',
      skipBrowser: true,
      timeoutMs: 60_000,
      dryRun: true,
    });
    expect(bind('--server', 'http://x', 'http://x')).toMatchObject({ server: 'http://x' });
    expect(() => bind('templatez')).toThrow('unknown command "templatez"');
    expect(() => bind('http://x', '--server', 'http://y')).toThrow('the provider is given twice');
  });

  it('shows the UI-assisted flow and every command in the root help', () => {
    const help = rootHelp();
    expect(help).toContain('kubectl bind [<url>] [flags]');
    for (const flag of bindCommand.flags) expect(help).toContain(`--${flag.name}`);
    expect(help).toMatch(/\n {2}apiservice +Bind an APIServiceExportTemplate/);
    expect(commandHelp(apiserviceCommand)).toContain('POST /api/bind');
  });
});
