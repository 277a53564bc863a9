import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseInlineKubeconfig } from './inline-kubeconfig.ts';

const kubeconfig = (
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  context: Record<string, unknown> = {},
) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://provider:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', ...context } }],
    'current-context': 'x',
  });

describe('parseInlineKubeconfig', () => {
  it('reads the current context server and namespace', () => {
    const k = parseInlineKubeconfig(
      kubeconfig({ token: 't' }, { 'certificate-authority-data': 'QQ==' }, { namespace: 'kb-1' }),
    );
    expect(k).toMatchObject({ server: 'https://provider:6443', namespace: 'kb-1' });
    expect(parseInlineKubeconfig(kubeconfig({ token: 't' })).namespace).toBe('');
  });

  it.each([
    [{ exec: { command: '/bin/sh', args: ['-c', 'id'] } }, {}, 'exec'],
    [{ 'auth-provider': { name: 'gcp' } }, {}, 'auth-provider'],
    [{ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }, {}, 'tokenFile'],
    [{ 'client-key': '/etc/kubernetes/pki/admin.key' }, {}, 'client-key'],
    [{ token: 't' }, { 'certificate-authority': '/etc/ssl/ca.pem' }, 'certificate-authority'],
  ])('refuses a kubeconfig that would run or read something: %j %j', (user, cluster, field) => {
    expect(() => parseInlineKubeconfig(kubeconfig(user, cluster))).toThrow(`"${field}"`);
  });

  it('refuses what is not a kubeconfig with a usable current context', () => {
    expect(() => parseInlineKubeconfig('a: [')).toThrow('does not parse');
    expect(() => parseInlineKubeconfig('- 1')).toThrow('not a YAML mapping');
    expect(() => parseInlineKubeconfig(stringify({ 'current-context': 'nope' }))).toThrow(
      'current-context "nope" is not defined',
    );
    const noServer = kubeconfig({ token: 't' }).replace('server: https://provider:6443', 'x: 1');
    expect(() => parseInlineKubeconfig(noServer)).toThrow('has no server');
  });
});
