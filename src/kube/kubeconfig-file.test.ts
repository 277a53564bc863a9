import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { selectKubeconfigContext } from './kubeconfig-file.ts';

const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const kubeconfig = (
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'c', cluster: { server: 'https://a:6443/', ...cluster } },
      { name: 'other', cluster: { server: 'https://b:6443' } },
    ],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'x', context: { cluster: 'c', user: 'u' } },
      { name: 'y', context: { cluster: 'other' } },
      { name: 'broken', context: { cluster: 'missing', user: 'u' } },
      { name: 'nouser', context: { cluster: 'c', user: 'missing' } },
    ],
    'current-context': 'x',
    ...top,
  });

describe('selectKubeconfigContext', () => {
  it('reads the current context: server without trailing slashes, CA data, TLS fields', () => {
    const s = selectKubeconfigContext(
      kubeconfig(
        { token: 't' },
        {
          'certificate-authority-data': b64(pem),
          'tls-server-name': 'api.example',
          'disable-compression': true,
        },
      ),
    );
    expect(s.context).toBe('x');
    expect(s.cluster).toMatchObject({
      server: 'https://a:6443',
      caPem: pem,
      tlsServerName: 'api.example',
      insecureSkipTlsVerify: false,
    });
    expect(s.user).toEqual({ name: 'u', token: 't' });
  });

  it('takes a context override, and a context without a user', () => {
    const s = selectKubeconfigContext(kubeconfig({ token: 't' }), 'y');
    expect(s.cluster.server).toBe('https://b:6443');
    expect(s.user).toEqual({ name: '' });
  });

  it('names what is missing', () => {
    const k = kubeconfig({ token: 't' });
    expect(() => selectKubeconfigContext(k, 'nope')).toThrow('kubeconfig has no context "nope"');
    expect(() => selectKubeconfigContext(k, 'broken')).toThrow(
      'context broken names cluster missing which is not defined',
    );
    expect(() => selectKubeconfigContext(k, 'nouser')).toThrow(
      'context nouser names user missing which is not defined',
    );
    expect(() => selectKubeconfigContext(kubeconfig({}, {}, { 'current-context': '' }))).toThrow(
      /no current-context/,
    );
    expect(() => selectKubeconfigContext('')).toThrow(/no current-context/);
    expect(() => selectKubeconfigContext(kubeconfig({}, { server: '' }))).toThrow(
      'cluster "c" has no server',
    );
    expect(() => selectKubeconfigContext('a: [')).toThrow(/not valid YAML/);
  });

  it('keeps file paths as written and reads basic auth', () => {
    const s = selectKubeconfigContext(
      kubeconfig(
        { username: 'admin', password: 'pw', 'client-certificate': 'c.crt', 'client-key': 'c.key' },
        { 'certificate-authority': 'ca.crt' },
      ),
    );
    expect(s.cluster.caFile).toBe('ca.crt');
    expect(s.user).toMatchObject({
      username: 'admin',
      password: 'pw',
      certFile: 'c.crt',
      keyFile: 'c.key',
    });
    expect(selectKubeconfigContext(kubeconfig({ tokenFile: 'tok' })).user.tokenFile).toBe('tok');
  });

  it('refuses auth-provider, suggesting exec', () => {
    expect(() =>
      selectKubeconfigContext(kubeconfig({ 'auth-provider': { name: 'gcp', config: {} } })),
    ).toThrow(/user "u": auth-provider is not supported.*exec/s);
  });

  it('refuses impersonation, proxy-url and ambiguous settings', () => {
    expect(() => selectKubeconfigContext(kubeconfig({ token: 't', as: 'admin' }))).toThrow(
      /impersonation \(as\)/,
    );
    expect(() =>
      selectKubeconfigContext(kubeconfig({ token: 't', 'as-groups': ['system:masters'] })),
    ).toThrow(/impersonation \(as-groups\)/);
    expect(() =>
      selectKubeconfigContext(kubeconfig({}, { 'proxy-url': 'http://proxy:3128' })),
    ).toThrow(/proxy-url is not supported/);
    expect(() => selectKubeconfigContext(kubeconfig({ token: 't', username: 'a' }))).toThrow(
      /more than one way to authenticate \(token, username\/password\)/,
    );
    expect(() =>
      selectKubeconfigContext(
        kubeconfig({}, { 'certificate-authority': 'ca.crt', 'insecure-skip-tls-verify': true }),
      ),
    ).toThrow(/insecure-skip-tls-verify/);
    expect(() => selectKubeconfigContext(kubeconfig({ 'client-certificate': 'c.crt' }))).toThrow(
      /needs its key/,
    );
    expect(() =>
      selectKubeconfigContext(kubeconfig({ 'client-certificate-data': 'not base64!' })),
    ).toThrow(/client-certificate-data is not base64/);
  });

  it('reads exec config and the per-cluster exec extension', () => {
    const s = selectKubeconfigContext(
      kubeconfig(
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'plugin',
            args: ['get-token'],
            env: [{ name: 'A', value: 'b' }],
            installHint: 'install it',
          },
        },
        {
          extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'x' } }],
        },
      ),
    );
    expect(s.user.exec).toEqual({
      command: 'plugin',
      args: ['get-token'],
      env: [{ name: 'A', value: 'b' }],
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      installHint: 'install it',
      provideClusterInfo: false,
      interactiveMode: 'IfAvailable',
    });
    expect(s.cluster.execExtension).toEqual({ audience: 'x' });
    const v1 = { apiVersion: 'client.authentication.k8s.io/v1', command: 'plugin' };
    expect(() => selectKubeconfigContext(kubeconfig({ exec: v1 }))).toThrow(/interactiveMode/);
    expect(() =>
      selectKubeconfigContext(
        kubeconfig({ exec: { ...v1, apiVersion: 'client.authentication.k8s.io/v1alpha1' } }),
      ),
    ).toThrow(/v1alpha1" is not supported/);
  });
});
