import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { inlineKubeconfigLimits, parseInlineKubeconfig } from './inline-kubeconfig.ts';

const pem = (what: string) => `-----BEGIN ${what}-----\nMIIB\n-----END ${what}-----\n`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const kubeconfig = (
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://provider:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', ...context } }],
    'current-context': 'x',
    ...top,
  });

describe('parseInlineKubeconfig', () => {
  it('reads the current context server and namespace', () => {
    const k = parseInlineKubeconfig(
      kubeconfig(
        { token: 't' },
        { 'certificate-authority-data': b64(pem('CERTIFICATE')) },
        {
          namespace: 'kb-1',
        },
      ),
    );
    expect(k).toMatchObject({ server: 'https://provider:6443', namespace: 'kb-1' });
    expect(parseInlineKubeconfig(kubeconfig({ token: 't' })).namespace).toBe('');
  });

  it('builds the connection from the allowed fields only', async () => {
    const k = parseInlineKubeconfig(
      kubeconfig(
        {
          token: 'secret',
          'client-certificate-data': b64(pem('CERTIFICATE')),
          'client-key-data': b64(pem('PRIVATE KEY')),
        },
        {
          server: 'https://provider:6443/clusters/root/',
          'certificate-authority-data': b64(pem('CERTIFICATE')),
          'tls-server-name': 'api.example',
          'insecure-skip-tls-verify': false,
        },
      ),
    );
    expect(k.connection).toMatchObject({
      server: 'https://provider:6443/clusters/root',
      caPem: pem('CERTIFICATE'),
      certPem: pem('CERTIFICATE'),
      keyPem: pem('PRIVATE KEY'),
      tlsServerName: 'api.example',
    });
    expect(k.connection.insecureSkipTlsVerify).toBeUndefined();
    expect(await k.connection.authorization?.()).toBe('Bearer secret');
    const anonymous = parseInlineKubeconfig(kubeconfig({}, { 'insecure-skip-tls-verify': true }));
    expect(anonymous.connection.authorization).toBeUndefined();
    expect(anonymous.connection.insecureSkipTlsVerify).toBe(true);
  });

  it('accepts what kubectl and clientcmd write and nothing acts on', () => {
    const ext = [{ name: 'cluster_info', extension: { provider: 'minikube.sigs.k8s.io' } }];
    const k = parseInlineKubeconfig(
      kubeconfig(
        { token: 't', extensions: ext },
        { extensions: ext, 'disable-compression': true },
        { extensions: ext },
        { preferences: {}, extensions: ext },
      ),
    );
    expect(k.server).toBe('https://provider:6443');
    // JSON is YAML; `users: null` as kubectl may write it.
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://p' } }],
      contexts: [{ name: 'x', context: { cluster: 'c' } }],
      users: null,
      'current-context': 'x',
    });
    expect(parseInlineKubeconfig(json).server).toBe('https://p');
  });

  it.each([
    // What a full kubeconfig loader reads while loading, or acts on when connecting.
    [{ 'token-file': '/var/run/secrets/kubernetes.io/serviceaccount/token' }, {}, 'token-file'],
    [{ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }, {}, 'tokenFile'],
    [{ exec: { command: '/bin/sh', args: ['-c', 'id'] } }, {}, 'exec'],
    [{ 'auth-provider': { name: 'gcp' } }, {}, 'auth-provider'],
    [{ 'client-key': '/etc/kubernetes/pki/admin.key' }, {}, 'client-key'],
    [{ 'client-certificate': '/etc/kubernetes/pki/admin.crt' }, {}, 'client-certificate'],
    [{ username: 'admin', password: 'x' }, {}, 'username'],
    [{ password: 'x' }, {}, 'password'],
    [{ as: 'system:admin' }, {}, 'as'],
    [{ 'as-groups': ['system:masters'] }, {}, 'as-groups'],
    [{ 'as-uid': '1' }, {}, 'as-uid'],
    [{ 'as-user-extra': { a: ['b'] } }, {}, 'as-user-extra'],
    [{ token: 't' }, { 'certificate-authority': '/etc/ssl/ca.pem' }, 'certificate-authority'],
    [{ token: 't' }, { 'proxy-url': 'http://127.0.0.1:3128' }, 'proxy-url'],
    [{ token: 't' }, { 'something-new': 1 }, 'something-new'],
  ])('refuses a field outside the allow-list: %j %j', (user, cluster, field) => {
    expect(() => parseInlineKubeconfig(kubeconfig(user, cluster))).toThrow(`"${field}"`);
  });

  it('refuses unknown fields at every level and in every entry', () => {
    const other = stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://p' } }],
      users: [
        { name: 'u', user: { token: 't' } },
        { name: 'unused', user: { exec: { command: 'id' } } },
      ],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
    expect(() => parseInlineKubeconfig(other)).toThrow('users[1].user: "exec" is not accepted');
    expect(() => parseInlineKubeconfig(kubeconfig({}, {}, { 'proxy-url': 'x' }))).toThrow(
      'contexts[0].context: "proxy-url"',
    );
    expect(() => parseInlineKubeconfig(kubeconfig({}, {}, {}, { 'exec-plugins': {} }))).toThrow(
      '"exec-plugins" is not accepted',
    );
    const entryExtra = kubeconfig({}).replace('- name: u\n', '- name: u\n    exec: {}\n');
    expect(() => parseInlineKubeconfig(entryExtra)).toThrow('users[0]: "exec"');
  });

  it.each([
    [{}, { server: 'http://provider' }, 'must be an https URL'],
    [{}, { server: 'https://user:pw@provider' }, 'must not carry a user name or password'],
    [{}, { server: 'https://provider/?x=1' }, 'must not have a query'],
    [{}, { server: 'not a url' }, 'is not a URL'],
    [{}, { server: 42 }, 'server must be a string'],
    [{}, { 'certificate-authority-data': '%%%' }, 'is not base64'],
    [{}, { 'certificate-authority-data': b64('hello') }, 'is not base64 of PEM'],
    [{}, { 'insecure-skip-tls-verify': 'yes' }, 'must be true or false'],
    [{ 'client-certificate-data': b64(pem('CERTIFICATE')) }, {}, 'needs both'],
    [{ token: ['t'] }, {}, 'token must be a string'],
  ])('refuses malformed values: %j %j', (user, cluster, message) => {
    expect(() => parseInlineKubeconfig(kubeconfig(user, cluster))).toThrow(message);
  });

  it('bounds sizes', () => {
    const huge = `# ${'x'.repeat(inlineKubeconfigLimits.text)}\n${kubeconfig({})}`;
    expect(() => parseInlineKubeconfig(huge)).toThrow('too large');
    const token = 't'.repeat(inlineKubeconfigLimits.token + 1);
    expect(() => parseInlineKubeconfig(kubeconfig({ token }))).toThrow('token is too long');
    const many = stringify({
      clusters: Array.from({ length: inlineKubeconfigLimits.entries + 1 }, (_, i) => ({
        name: `c${i}`,
        cluster: { server: 'https://p' },
      })),
    });
    expect(() => parseInlineKubeconfig(many)).toThrow('clusters has 101 entries');
    const aliases = `a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n`;
    expect(() => parseInlineKubeconfig(aliases)).toThrow();
  });

  it('refuses what is not a kubeconfig with a usable current context', () => {
    expect(() => parseInlineKubeconfig('a: [')).toThrow('does not parse');
    expect(() => parseInlineKubeconfig('- 1')).toThrow('not a YAML mapping');
    expect(() => parseInlineKubeconfig('a: 1\na: 2')).toThrow('does not parse');
    expect(() => parseInlineKubeconfig(stringify({ 'current-context': 'nope' }))).toThrow(
      'current-context "nope" is not defined',
    );
    expect(() => parseInlineKubeconfig(stringify({ kind: 'Config' }))).toThrow(
      'it has no current context',
    );
    expect(() => parseInlineKubeconfig(kubeconfig({}, {}, {}, { kind: 'Pod' }))).toThrow(
      'kind must be "Config"',
    );
    expect(() => parseInlineKubeconfig(kubeconfig({}, {}, { user: 'nobody' }))).toThrow(
      'user "nobody" of context "x" is not defined',
    );
    const twice = kubeconfig({}).replace('users:\n', 'users:\n  - name: u\n    user: {}\n');
    expect(() => parseInlineKubeconfig(twice)).toThrow('the name "u" is used twice');
    const noServer = kubeconfig({ token: 't' }).replace('server: https://provider:6443', 'x: 1');
    expect(() => parseInlineKubeconfig(noServer)).toThrow('"x" is not accepted');
    const emptyServer = kubeconfig({ token: 't' }, { server: '' });
    expect(() => parseInlineKubeconfig(emptyServer)).toThrow('has no server');
  });
});
