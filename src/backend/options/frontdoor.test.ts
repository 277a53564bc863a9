import { describe, expect, it } from 'vitest';
import { FlagError } from '../../cli/flags.ts';
import { loadBackendOptions, parseBackendOptions } from './options.ts';

const external = [
  '--oidc-issuer-url=https://idp.example.com',
  '--oidc-issuer-client-id=kube-bind',
  '--oidc-callback-url=https://bind.example.com/api/callback',
  '--oidc-allowed-groups=platform',
];

function rejection(argv: readonly string[], env = {}): string {
  try {
    parseBackendOptions(argv, env);
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('front door options', () => {
  it('take an external issuer with its client and allowed subjects', () => {
    const o = parseBackendOptions([...external, '--oidc-allowed-users=CgNib2I'], {
      OIDC_CLIENT_SECRET: 'from-env',
    });
    expect(o.login).toEqual({
      oidc: {
        type: 'external',
        issuerUrl: 'https://idp.example.com',
        clientId: 'kube-bind',
        clientSecret: 'from-env',
        callbackUrl: 'https://bind.example.com/api/callback',
      },
      allowedGroups: ['platform'],
      allowedUsers: ['CgNib2I'],
      sessionTtlMs: 3_600_000,
      keys: {},
      sessions: { kind: 'memory' },
      rateLimit: { perMinute: 60, burst: 20 },
      maxPendingLogins: 10_000,
    });
  });

  it('name every missing OIDC flag at once, and how to do without them', () => {
    expect(rejection([])).toBe(
      '--oidc-issuer-url is required unless --frontend-disabled; ' +
        '--oidc-callback-url is required unless --frontend-disabled; ' +
        '--oidc-issuer-client-id is required with --oidc-type=external; ' +
        '--oidc-allowed-groups is required with --oidc-type=external, or --oidc-allowed-users',
    );
    expect(parseBackendOptions(['--frontend-disabled'])).not.toHaveProperty('login');
  });

  it('check URLs: http(s) issuer, callback ending in /api/callback, embedded issuer at /oidc', () => {
    expect(rejection([...external, '--oidc-issuer-url=ftp://idp'])).toContain(
      'invalid --oidc-issuer-url "ftp://idp": want an absolute http:// or https:// URL',
    );
    expect(rejection([...external, '--oidc-callback-url=https://b/callback'])).toContain(
      'want a URL ending in /api/callback',
    );
    expect(
      rejection([
        '--oidc-type=embedded',
        '--oidc-issuer-url=http://127.0.0.1:8080/dex',
        '--oidc-callback-url=http://127.0.0.1:8080/api/callback',
      ]),
    ).toContain("want the backend's own origin followed by /oidc");
  });

  it('refuse OIDC_CLIENT_SECRET with the embedded issuer, and an unknown type', () => {
    const embedded = [
      '--oidc-type=embedded',
      '--oidc-issuer-url=http://127.0.0.1:8080/oidc',
      '--oidc-callback-url=http://127.0.0.1:8080/api/callback',
    ];
    expect(rejection(embedded, { OIDC_CLIENT_SECRET: 'x' })).toContain('OIDC_CLIENT_SECRET');
    expect(rejection([...external, '--oidc-type=dex'])).toContain(
      'invalid --oidc-type "dex": want external or embedded',
    );
  });

  it('keep the embedded issuer on loopback unless --oidc-embedded-allow-remote says otherwise', () => {
    const embedded = [
      '--oidc-type=embedded',
      '--oidc-issuer-url=http://127.0.0.1:8080/oidc',
      '--oidc-callback-url=http://127.0.0.1:8080/api/callback',
    ];
    for (const listen of ['0.0.0.0:8080', ':8080', '10.1.2.3:8080', 'backend.example:8080']) {
      expect(rejection([...embedded, `--listen-address=${listen}`])).toContain(
        '--oidc-embedded-allow-remote',
      );
      expect(
        parseBackendOptions([
          ...embedded,
          `--listen-address=${listen}`,
          '--oidc-embedded-allow-remote',
        ]).login?.oidc.type,
      ).toBe('embedded');
    }
    for (const listen of ['127.0.0.1:8080', '127.9.9.9:1', 'localhost:8080']) {
      expect(
        parseBackendOptions([...embedded, `--listen-address=${listen}`]).server.port,
      ).toBeGreaterThan(0);
    }
    expect(parseBackendOptions(embedded).server.host).toBe('127.0.0.1');
    // An external issuer asks for its own login: any listener.
    expect(parseBackendOptions([...external, '--listen-address=0.0.0.0:8080']).server.host).toBe(
      '0.0.0.0',
    );
  });

  it('read the listener, also from the deprecated pair, and refuse IPv6 and bad ports', () => {
    expect(
      parseBackendOptions([...external, '--listen-address=0.0.0.0:9443']).server,
    ).toMatchObject({ host: '0.0.0.0', port: 9443 });
    expect(
      parseBackendOptions([...external, '--listen-ip=10.0.0.1', '--listen-port=81']).server,
    ).toMatchObject({ host: '10.0.0.1', port: 81 });
    expect(rejection([...external, '--listen-address=[::1]:80'])).toContain('IPv6');
    expect(rejection([...external, '--listen-address=localhost:99999'])).toContain(
      'port from 0 to 65535',
    );
  });

  it('want the TLS pair together, keys of the right sizes, host aliases as IP:names', () => {
    expect(rejection([...external, '--tls-cert-file=/c.pem'])).toContain(
      'invalid --tls-cert-file "/c.pem": give --tls-key-file too',
    );
    const key = (n: number) => Buffer.alloc(n, 7).toString('base64');
    const o = parseBackendOptions([
      ...external,
      `--cookie-signing-key=${key(64)}`,
      `--cookie-encryption-key=${key(16)}`,
      `--token-signing-key=${key(48)}`,
      '--konnector-host-alias=10.1.2.3:bind.example.com,api.example.com',
    ]);
    expect(o.login?.keys.cookieSigning?.length).toBe(64);
    expect(o.login?.keys.cookieEncryption?.length).toBe(16);
    expect(o.login?.keys.tokenSigning?.length).toBe(48);
    expect(o.server.konnectorHostAliases).toEqual([
      { ip: '10.1.2.3', hostnames: ['bind.example.com', 'api.example.com'] },
    ]);
    expect(rejection([...external, `--cookie-signing-key=${key(20)}`])).toContain(
      'want a key of 32, 64 bytes, got 20',
    );
    expect(rejection([...external, '--cookie-encryption-key=not base64!'])).toContain(
      'want standard base64',
    );
    expect(rejection([...external, '--konnector-host-alias=bind.example.com'])).toContain(
      'want IP:host1,host2',
    );
  });

  it('take the keys from the environment first (a Secret), never echoing a bad one', () => {
    const key = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64');
    const o = parseBackendOptions([...external, `--cookie-signing-key=${key(32, 1)}`], {
      COOKIE_SIGNING_KEY: key(64, 2),
      COOKIE_ENCRYPTION_KEY: key(32, 3),
      TOKEN_SIGNING_KEY: key(40, 4),
    });
    expect(o.login?.keys.cookieSigning).toEqual(Buffer.alloc(64, 2));
    expect(o.login?.keys.cookieEncryption).toEqual(Buffer.alloc(32, 3));
    expect(o.login?.keys.tokenSigning).toEqual(Buffer.alloc(40, 4));
    const secret = key(20, 5);
    const message = rejection(external, { COOKIE_ENCRYPTION_KEY: secret });
    expect(message).toBe(
      'invalid --cookie-encryption-key "$COOKIE_ENCRYPTION_KEY": want a key of 16, 24, 32 bytes, got 20',
    );
    expect(message).not.toContain(secret);
  });

  it('choose Redis with its connection settings, password from REDIS_PASSWORD', () => {
    const o = parseBackendOptions(
      [
        ...external,
        '--redis-addr=redis:6379',
        '--redis-db=3',
        '--redis-tls',
        '--redis-username=kb',
      ],
      { REDIS_PASSWORD: 'secret' },
    );
    expect(o.login?.sessions).toEqual({
      kind: 'redis',
      address: 'redis:6379',
      database: 3,
      tls: true,
      username: 'kb',
      password: 'secret',
      keyPrefix: 'kube-bind-ts:',
    });
    expect(rejection([...external, '--redis-addr=redis'])).toContain('want host:port');
    expect(rejection([...external, '--redis-username=kb'])).toContain(
      'invalid --redis-username "kb": needs --redis-addr',
    );
    expect(rejection([...external, '--redis-addr=r:1', '--redis-ca-file=/ca'])).toContain(
      'needs --redis-tls',
    );
  });

  it('take the login rate limit (0 turns it off) and the cap of logins in flight', () => {
    const o = parseBackendOptions([
      ...external,
      '--login-rate-limit=600',
      '--login-rate-burst=5',
      '--max-pending-logins=50',
    ]);
    expect([o.login?.rateLimit, o.login?.maxPendingLogins]).toEqual([
      { perMinute: 600, burst: 5 },
      50,
    ]);
    expect(parseBackendOptions([...external, '--login-rate-limit=0']).login).not.toHaveProperty(
      'rateLimit',
    );
    expect(rejection([...external, '--login-rate-burst=0'])).toContain(
      'invalid --login-rate-burst "0": want a whole number of at least 1',
    );
    expect(rejection([...external, '--max-pending-logins=-1'])).toContain(
      'want a whole number of at least 1',
    );
  });

  it('read the TLS pair and CA files, naming each unreadable one', async () => {
    const deps = {
      readFile: (path: string) => Promise.reject(new Error(`ENOENT ${path}`)),
      env: {},
    };
    await expect(
      loadBackendOptions(
        [...external, '--tls-cert-file=/c', '--tls-key-file=/k', '--oidc-ca-file=/o'],
        deps,
      ),
    ).rejects.toThrow(
      'invalid --tls-cert-file "/c": cannot read it (ENOENT /c); ' +
        'invalid --tls-key-file "/k": cannot read it (ENOENT /k); ' +
        'invalid --oidc-ca-file "/o": cannot read it (ENOENT /o)',
    );
  });
});

describe('logging flags', () => {
  it("take upstream's -v in pflag's spellings and map it onto log levels", () => {
    for (const argv of [['-v=4'], ['-v', '4'], ['--v=4']]) {
      expect(parseBackendOptions([...external, ...argv]).logging, argv.join(' ')).toEqual({
        verbosity: 4,
        level: 'debug',
      });
    }
    expect(parseBackendOptions(external).logging.level).toBe('info');
    expect(parseBackendOptions([...external, '-v=6']).logging.level).toBe('trace');
    expect(rejection([...external, '-v=loud'])).toContain('invalid --v "loud"');
    expect(rejection([...external, '--logging-format=text'])).toContain('want json');
    expect(rejection([...external, '-x=1'])).toContain('unknown shorthand flag');
  });
});
