import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Environment } from './frontdoor.ts';
import { crdSource, kcpSource } from './values.ts';
import { FlagError } from '../../cli/flags.ts';
import {
  backendFlags,
  defaultOptions,
  developmentLoginFlags,
  loadBackendOptions as loadWithLogin,
  parseBackendOptions as parseWithLogin,
  type BackendOptions,
  type LoadDependencies,
} from './options.ts';

// The controllers' flags are tested here with the smallest valid login configuration; the front
// door's flags have their own file (frontdoor.test.ts).
const parseBackendOptions = (argv: readonly string[], env: Environment = {}) =>
  parseWithLogin([...developmentLoginFlags, ...argv], env);
const loadBackendOptions = (argv: readonly string[], deps?: Pick<LoadDependencies, 'readFile'>) =>
  loadWithLogin([...developmentLoginFlags, ...argv], deps && { ...deps, env: {} });

/** The FlagError message for argv; fails the test if argv parses. */
function rejection(argv: readonly string[]): string {
  try {
    parseBackendOptions(argv);
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseBackendOptions defaults', () => {
  const expected: BackendOptions = {
    installCRDs: true,
    provider: 'kubernetes',
    apiExportEndpointSliceName: 'kube-bind.io',
    apiBindingIgnorePrefixes: ['kube-bind.io', 'tenancy.kcp.io', 'topology.kcp.io'],
    namespacePrefix: 'cluster-',
    prettyName: 'Backend',
    consumerScope: 'Namespaced',
    isolation: 'Prefixed',
    schemaSource: crdSource,
    schemaSyncIntervalMs: 300_000,
    frontendDisabled: false,
    leaderElection: {
      enabled: true,
      namespace: 'kube-system',
      leaseName: 'kube-bind-backend',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    },
    server: {
      host: '127.0.0.1',
      port: 8080,
      frontend: { kind: 'embedded' },
      konnectorHostAliases: [],
    },
    logging: { verbosity: 2, level: 'info' },
    login: {
      oidc: {
        type: 'embedded',
        issuerUrl: 'http://127.0.0.1:8080/oidc',
        callbackUrl: 'http://127.0.0.1:8080/api/callback',
      },
      allowedGroups: ['system:authenticated'],
      allowedUsers: [],
      sessionTtlMs: 3_600_000,
      keys: {},
      sessions: { kind: 'memory' },
      rateLimit: { perMinute: 60, burst: 20 },
      maxPendingLogins: 10_000,
    },
  };

  it("are upstream's, plus leader election on", () => {
    expect(parseBackendOptions([])).toEqual(expected);
    expect(defaultOptions()).toEqual(expected);
  });

  it('hand out a fresh object each time', () => {
    const a = parseBackendOptions([]);
    a.apiBindingIgnorePrefixes.push('x');
    a.schemaSource.resource = 'x';
    expect(parseBackendOptions([])).toEqual(expected);
  });

  it('mean the same as their --help text', () => {
    for (const spec of backendFlags) {
      // The base configuration here uses the embedded issuer, not the default external one.
      if (spec.defaultText === undefined || spec.name === 'oidc-type') continue;
      const argv = [`--${spec.name}=${spec.defaultText}`];
      expect(parseBackendOptions(argv), spec.name).toEqual(expected);
    }
  });
});

describe('the flag table', () => {
  it('gives every flag a help text, and one a default where it has one', () => {
    for (const spec of backendFlags) expect(spec.help, spec.name).not.toBe('');
    const withoutDefault = backendFlags.filter((s) => s.defaultText === undefined);
    expect(withoutDefault.map((s) => s.name)).toEqual([
      'kubeconfig',
      'context',
      'apiexport-endpointslice-name',
      'cluster-scoped-isolation',
      'external-address',
      'external-ca-file',
      'external-server-name',
      'listen-ip',
      'listen-port',
      'tls-cert-file',
      'tls-key-file',
      'konnector-host-alias',
      'testing-auto-select',
      'oidc-issuer-url',
      'oidc-issuer-client-id',
      'oidc-issuer-client-secret',
      'oidc-callback-url',
      'oidc-authorize-url',
      'oidc-ca-file',
      'oidc-allowed-groups',
      'oidc-allowed-users',
      'cookie-signing-key',
      'cookie-encryption-key',
      'token-signing-key',
      'redis-addr',
      'redis-username',
      'redis-ca-file',
      'vmodule',
    ]);
  });
});

describe('provider cluster access', () => {
  it('installs the CRDs unless told not to', () => {
    expect(parseBackendOptions(['--install-crds=false']).installCRDs).toBe(false);
  });

  it('takes the kubeconfig and context', () => {
    const options = parseBackendOptions(['--kubeconfig', '/k', '--context=provider']);
    expect(options).toMatchObject({ kubeconfig: '/k', context: 'provider' });
    expect(parseBackendOptions([])).not.toHaveProperty('kubeconfig');
  });

  it('rejects an empty kubeconfig path with the flag name', () => {
    expect(() => parseBackendOptions(['--kubeconfig='])).toThrow(FlagError);
    expect(rejection(['--kubeconfig='])).toBe('invalid --kubeconfig "": want a non-empty value');
  });
});

describe('--multicluster-runtime-provider', () => {
  it('takes kubernetes, kcp, and empty as kubernetes', () => {
    const provider = (v: string) =>
      parseBackendOptions([`--multicluster-runtime-provider=${v}`]).provider;
    expect(provider('kcp')).toBe('kcp');
    expect(provider('kubernetes')).toBe('kubernetes');
    expect(provider('')).toBe('kubernetes');
    expect(parseBackendOptions(['--multicluster-runtime-provider', '']).provider).toBe(
      'kubernetes',
    );
  });

  it('rejects any other provider', () => {
    expect(rejection(['--multicluster-runtime-provider=openshift'])).toBe(
      'invalid --multicluster-runtime-provider "openshift": want kubernetes or kcp',
    );
  });
});

describe('--apiexport-endpoint-slice-name', () => {
  it('takes the flag and the spelling of the developer docs', () => {
    expect(
      parseBackendOptions(['--apiexport-endpoint-slice-name=a']).apiExportEndpointSliceName,
    ).toBe('a');
    expect(
      parseBackendOptions(['--apiexport-endpointslice-name', 'b']).apiExportEndpointSliceName,
    ).toBe('b');
    const both = ['--apiexport-endpoint-slice-name=c', '--apiexport-endpointslice-name=c'];
    expect(parseBackendOptions(both).apiExportEndpointSliceName).toBe('c');
  });

  it('rejects differing spellings and an empty name', () => {
    expect(
      rejection(['--apiexport-endpoint-slice-name=a', '--apiexport-endpointslice-name=b']),
    ).toBe(
      'conflicting --apiexport-endpoint-slice-name "a" and --apiexport-endpointslice-name "b": ' +
        'give one of them',
    );
    expect(rejection(['--apiexport-endpointslice-name='])).toBe(
      'invalid --apiexport-endpointslice-name "": want a non-empty value',
    );
  });
});

describe('--apibinding-ignore-prefixes', () => {
  it('replaces the default with the given items, repeated or comma-separated', () => {
    const argv = ['--apibinding-ignore-prefixes=a.io,b.io', '--apibinding-ignore-prefixes', 'c'];
    expect(parseBackendOptions(argv).apiBindingIgnorePrefixes).toEqual(['a.io', 'b.io', 'c']);
  });

  it('is emptied by an empty value', () => {
    const argv = ['--apibinding-ignore-prefixes='];
    expect(parseBackendOptions(argv).apiBindingIgnorePrefixes).toEqual([]);
  });
});

describe('--namespace-prefix', () => {
  it.each(['kube-bind-', 'tenant', '0-', 'a'.repeat(50)])('takes %j', (prefix) => {
    expect(parseBackendOptions([`--namespace-prefix=${prefix}`]).namespacePrefix).toBe(prefix);
  });

  it.each(['', 'Cluster-', '-cluster', 'team_a-', 'team.a-', 'a'.repeat(51)])(
    'rejects %j',
    (prefix) => {
      expect(rejection([`--namespace-prefix=${prefix}`])).toBe(
        `invalid --namespace-prefix ${JSON.stringify(prefix)}: want lower-case letters, digits ` +
          `and '-', starting with a letter or digit, at most 50 characters`,
      );
    },
  );
});

describe('--pretty-name', () => {
  it('takes any non-empty name', () => {
    expect(parseBackendOptions(['--pretty-name=ACME Cloud']).prettyName).toBe('ACME Cloud');
    expect(rejection(['--pretty-name='])).toBe('invalid --pretty-name "": want a non-empty value');
  });
});

describe('--consumer-scope', () => {
  it.each([
    ['namespaced', 'Namespaced'],
    ['Namespaced', 'Namespaced'],
    ['cluster', 'Cluster'],
    ['CLUSTER', 'Cluster'],
  ])('reads %s case-insensitively as %s', (given, scope) => {
    expect(parseBackendOptions([`--consumer-scope=${given}`]).consumerScope).toBe(scope);
  });

  it('rejects other scopes naming the allowed ones', () => {
    expect(rejection(['--consumer-scope=global'])).toBe(
      'invalid --consumer-scope "global": want Namespaced or Cluster',
    );
  });
});

describe('--isolation', () => {
  it.each([
    ['prefixed', 'Prefixed'],
    ['Namespaced', 'Namespaced'],
    ['NONE', 'None'],
    ['none', 'None'],
  ])('reads %s case-insensitively as %s', (given, isolation) => {
    expect(parseBackendOptions([`--isolation=${given}`]).isolation).toBe(isolation);
  });

  it('rejects an unknown isolation instead of falling back to None as upstream does', () => {
    expect(rejection(['--isolation=Shared'])).toBe(
      'invalid --isolation "Shared": want Prefixed, Namespaced or None',
    );
    expect(rejection(['--isolation='])).toBe(
      'invalid --isolation "": want Prefixed, Namespaced or None',
    );
  });

  it('takes the deprecated --cluster-scoped-isolation, alone or agreeing', () => {
    expect(parseBackendOptions(['--cluster-scoped-isolation=None']).isolation).toBe('None');
    const agreeing = ['--isolation=namespaced', '--cluster-scoped-isolation=Namespaced'];
    expect(parseBackendOptions(agreeing).isolation).toBe('Namespaced');
  });

  it('rejects a bad or disagreeing --cluster-scoped-isolation', () => {
    expect(rejection(['--cluster-scoped-isolation=shared'])).toBe(
      'invalid --cluster-scoped-isolation "shared": want Prefixed, Namespaced or None',
    );
    expect(rejection(['--isolation=None', '--cluster-scoped-isolation=Prefixed'])).toBe(
      'conflicting --isolation "None" and --cluster-scoped-isolation "Prefixed": give one of them',
    );
  });
});

describe('--external-*', () => {
  it('takes an https address, a CA file path and a server name', () => {
    const options = parseBackendOptions([
      '--external-address=https://bind.example.com:6443',
      '--external-ca-file=/etc/ca.pem',
      '--external-server-name=kubernetes.default',
    ]);
    expect(options).toMatchObject({
      externalAddress: 'https://bind.example.com:6443',
      externalCAFile: '/etc/ca.pem',
      externalServerName: 'kubernetes.default',
    });
    // Parsing alone never reads the file.
    expect(options).not.toHaveProperty('externalCA');
  });

  it.each(['http://bind.example.com', 'bind.example.com:6443', 'https://', '/api', ''])(
    'rejects the address %j',
    (address) => {
      expect(rejection([`--external-address=${address}`])).toBe(
        `invalid --external-address ${JSON.stringify(address)}: want an absolute https:// URL`,
      );
    },
  );

  it('rejects an empty CA file path or server name', () => {
    expect(rejection(['--external-ca-file='])).toBe(
      'invalid --external-ca-file "": want a non-empty value',
    );
    expect(rejection(['--external-server-name='])).toBe(
      'invalid --external-server-name "": want a non-empty value',
    );
  });
});

describe('--schema-source', () => {
  it.each([
    ['CustomResourceDefinition.v1.apiextensions.k8s.io', crdSource],
    ['customresourcedefinitions', crdSource],
    ['APIResourceSchema.v1alpha1.apis.kcp.io', kcpSource],
    ['apiresourceschemas', kcpSource],
  ])('resolves %s', (given, source) => {
    expect(parseBackendOptions([`--schema-source=${given}`]).schemaSource).toEqual(source);
  });

  it.each(['crds', 'customresourcedefinition.v1.apiextensions.k8s.io', 'APIResourceSchemas', ''])(
    'rejects %j, listing what it takes',
    (given) => {
      expect(rejection([`--schema-source=${given}`])).toBe(
        `invalid --schema-source ${JSON.stringify(given)}: want one of ` +
          'CustomResourceDefinition.v1.apiextensions.k8s.io, customresourcedefinitions, ' +
          'APIResourceSchema.v1alpha1.apis.kcp.io, apiresourceschemas',
      );
    },
  );
});

describe('--schema-sync-interval', () => {
  it.each([
    ['10s', 10_000],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1m30.5s', 90_500],
    ['10000ms', 10_000],
  ])('takes %s', (given, ms) => {
    expect(parseBackendOptions([`--schema-sync-interval=${given}`]).schemaSyncIntervalMs).toBe(ms);
  });

  it('rejects less than 10s', () => {
    for (const given of ['9s', '9.999s', '500ms', '0']) {
      expect(rejection([`--schema-sync-interval=${given}`])).toBe(
        `invalid --schema-sync-interval "${given}": want at least 10s`,
      );
    }
  });

  it('rejects what is not a Go duration, saying why', () => {
    const want = '(want a Go duration like 30s, 5m or 1h30m)';
    expect(rejection(['--schema-sync-interval=300'])).toBe(
      `invalid --schema-sync-interval "300": has a number without a unit ${want}`,
    );
    expect(rejection(['--schema-sync-interval=1d'])).toBe(
      `invalid --schema-sync-interval "1d": has an unknown unit "d" ${want}`,
    );
    expect(rejection(['--schema-sync-interval=-5m'])).toBe(
      `invalid --schema-sync-interval "-5m": must not be negative ${want}`,
    );
    expect(rejection(['--schema-sync-interval='])).toBe(
      `invalid --schema-sync-interval "": is empty ${want}`,
    );
  });
});

describe('--frontend-disabled', () => {
  it('is a bool', () => {
    expect(parseBackendOptions(['--frontend-disabled']).frontendDisabled).toBe(true);
    expect(parseBackendOptions(['--frontend-disabled=false']).frontendDisabled).toBe(false);
  });
});

describe('leader election', () => {
  it('takes every setting', () => {
    const options = parseBackendOptions([
      '--leader-elect=false',
      '--leader-election-namespace=kube-bind',
      '--leader-election-id=backend-a',
      '--leader-election-lease-duration=1m',
      '--leader-election-renew-deadline=45s',
      '--leader-election-retry-period=500ms',
    ]);
    expect(options.leaderElection).toEqual({
      enabled: false,
      namespace: 'kube-bind',
      leaseName: 'backend-a',
      leaseDurationMs: 60_000,
      renewDeadlineMs: 45_000,
      retryPeriodMs: 500,
    });
  });

  it('names the Lease holder after POD_NAME when the downward API sets it', () => {
    const inPod = parseBackendOptions([], { POD_NAME: 'backend-7d9f-x2k' });
    expect(inPod.leaderElection.holderName).toBe('backend-7d9f-x2k');
    expect(parseBackendOptions([], { POD_NAME: '' }).leaderElection).not.toHaveProperty(
      'holderName',
    );
  });

  it('rejects an empty namespace or Lease name', () => {
    expect(rejection(['--leader-election-namespace='])).toBe(
      'invalid --leader-election-namespace "": want a non-empty value',
    );
    expect(rejection(['--leader-election-id='])).toBe(
      'invalid --leader-election-id "": want a non-empty value',
    );
  });

  it('rejects zero durations', () => {
    expect(rejection(['--leader-election-retry-period=0s'])).toBe(
      'invalid --leader-election-retry-period "0s": want more than 0s',
    );
  });

  it('wants lease duration > renew deadline > retry period', () => {
    expect(rejection(['--leader-election-renew-deadline=15s'])).toBe(
      'invalid --leader-election-renew-deadline "15s": want less than ' +
        '--leader-election-lease-duration (15s)',
    );
    expect(rejection(['--leader-election-lease-duration=5s'])).toBe(
      'invalid --leader-election-renew-deadline "10s": want less than ' +
        '--leader-election-lease-duration (5s)',
    );
    expect(rejection(['--leader-election-retry-period=10s'])).toBe(
      'invalid --leader-election-retry-period "10s": want less than ' +
        '--leader-election-renew-deadline (10s)',
    );
  });

  it('checks the order even with leader election off', () => {
    expect(() =>
      parseBackendOptions(['--leader-elect=false', '--leader-election-retry-period=1m']),
    ).toThrow('invalid --leader-election-retry-period "1m"');
  });

  it('does not compare a duration that is invalid on its own', () => {
    expect(
      rejection(['--leader-election-lease-duration=1s', '--leader-election-retry-period=x']),
    ).toBe(
      'invalid --leader-election-retry-period "x": is not a duration ' +
        '(want a Go duration like 30s, 5m or 1h30m)',
    );
  });
});

describe('errors', () => {
  it('reports every invalid flag together in one FlagError', () => {
    const message = rejection([
      '--isolation=Shared',
      '--consumer-scope=global',
      '--namespace-prefix=',
      '--schema-sync-interval=9s',
      '--external-address=http://x',
    ]);
    expect(message).toBe(
      [
        'invalid --namespace-prefix "": want lower-case letters, digits and \'-\', starting ' +
          'with a letter or digit, at most 50 characters',
        'invalid --consumer-scope "global": want Namespaced or Cluster',
        'invalid --isolation "Shared": want Prefixed, Namespaced or None',
        'invalid --schema-sync-interval "9s": want at least 10s',
        'invalid --external-address "http://x": want an absolute https:// URL',
      ].join('; '),
    );
  });

  it('still stops at an unknown flag or a malformed bool, as pflag does', () => {
    expect(rejection(['--isolation=Shared', '--no-such-flag'])).toBe(
      'unknown flag: --no-such-flag',
    );
    expect(rejection(['--leader-elect=maybe'])).toBe(
      'invalid argument "maybe" for --leader-elect: want true or false',
    );
  });
});

// A self-signed P-256 CA, valid until 2126.
const caPem = `-----BEGIN CERTIFICATE-----
MIIBjDCCATGgAwIBAgIUSfSB/pjiSrf/5q49fBzVnNXGpvcwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPb3B0aW9ucyB0ZXN0IENBMCAXDTI2MTEyMTE2NTAyNFoYDzIx
MjYxMDI4MTY1MDI0WjAaMRgwFgYDVQQDDA9vcHRpb25zIHRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAARVoPQUU0qGsy2ptq4z/FdTvx6flRUcepWKxiQR
tV3szSWywhttKtxfQ/FykdLYGDkkTA35kicavY9tfXOS56Kgo1MwUTAdBgNVHQ4E
FgQUkzqK4qE4r4acpCkswoy8R0Iq5vAwHwYDVR0jBBgwFoAUkzqK4qE4r4acpCks
woy8R0Iq5vAwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAyHKk
ZWdiqZMCyaqTbTuRUuuNhHXHio3E1c93Yq6FXWgCIQClKuyizoI0TvmgJatKMUoB
736jsh770vF/PoMdj+D1pg==
-----END CERTIFICATE-----
`;

describe('loadBackendOptions', () => {
  const files = (content: Record<string, string>) => ({
    readFile: vi.fn((path: string) => {
      const found = content[path];
      if (found === undefined) {
        return Promise.reject(new Error(`ENOENT: no such file or directory, open '${path}'`));
      }
      return Promise.resolve(found);
    }),
  });

  it('reads nothing without --external-ca-file', async () => {
    const deps = files({});
    expect(await loadBackendOptions([], deps)).toEqual(parseBackendOptions([]));
    expect(deps.readFile).not.toHaveBeenCalled();
  });

  it('reads the CA bundle into externalCA', async () => {
    const bundle = `# provider CAs\n${caPem}${caPem}`;
    const deps = files({ '/etc/ca.pem': bundle });
    const options = await loadBackendOptions(['--external-ca-file=/etc/ca.pem'], deps);
    expect(options.externalCAFile).toBe('/etc/ca.pem');
    expect(options.externalCA).toBe(bundle);
    expect(deps.readFile).toHaveBeenCalledWith('/etc/ca.pem');
  });

  it('rejects a file it cannot read', async () => {
    await expect(loadBackendOptions(['--external-ca-file=/nope'], files({}))).rejects.toThrow(
      new FlagError(
        'invalid --external-ca-file "/nope": cannot read it ' +
          "(ENOENT: no such file or directory, open '/nope')",
      ),
    );
  });

  it('rejects a file without a certificate', async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n';
    const deps = files({ '/key.pem': key, '/empty.pem': '' });
    for (const path of ['/key.pem', '/empty.pem']) {
      await expect(loadBackendOptions([`--external-ca-file=${path}`], deps)).rejects.toThrow(
        new FlagError(
          `invalid --external-ca-file "${path}": want a file with a PEM CERTIFICATE block`,
        ),
      );
    }
  });

  it('rejects a certificate block that does not parse', async () => {
    const broken = caPem.replace('MIIBjDCCATGg', 'MIIBjDCCATGh');
    const deps = files({
      '/ca.pem': `${caPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
    });
    await expect(loadBackendOptions(['--external-ca-file=/ca.pem'], deps)).rejects.toThrow(
      'invalid --external-ca-file "/ca.pem": certificate 2 of the file does not parse',
    );
    const deps2 = files({ '/ca.pem': broken });
    await expect(loadBackendOptions(['--external-ca-file=/ca.pem'], deps2)).rejects.toThrow(
      'certificate 1 of the file does not parse',
    );
  });

  it('reports a bad CA file together with the other flag errors', async () => {
    const argv = ['--isolation=Shared', '--external-ca-file=/nope'];
    await expect(loadBackendOptions(argv, files({}))).rejects.toThrow(
      'invalid --isolation "Shared": want Prefixed, Namespaced or None; ' +
        'invalid --external-ca-file "/nope": cannot read it',
    );
  });

  it('reads a real file by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'backend-options-'));
    try {
      const path = join(dir, 'ca.pem');
      await writeFile(path, caPem);
      expect((await loadBackendOptions([`--external-ca-file=${path}`])).externalCA).toBe(caPem);
      await expect(loadBackendOptions([`--external-ca-file=${dir}/missing.pem`])).rejects.toThrow(
        'ENOENT',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
