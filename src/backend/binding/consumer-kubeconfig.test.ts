import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { decodeConsumerKubeconfig } from './consumer-kubeconfig.ts';

const b64 = (o: unknown) => Buffer.from(stringify(o)).toString('base64');
const kubeconfig = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'https://consumer:6443', ...cluster } }],
  users: [{ name: 'u', user }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
});

const caData = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
).toString('base64');

describe('decodeConsumerKubeconfig', () => {
  it('accepts inline credentials', () => {
    const parsed = decodeConsumerKubeconfig(
      b64(kubeconfig({ token: 't' }, { 'certificate-authority-data': caData })),
    );
    expect(parsed.connection.server).toBe('https://consumer:6443');
  });

  it.each([
    [{ exec: { command: '/bin/sh', args: ['-c', 'id'] } }, {}, 'exec'],
    [{ 'auth-provider': { name: 'gcp' } }, {}, 'auth-provider'],
    [{ tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }, {}, 'tokenFile'],
    [{ 'token-file': '/var/run/secrets/kubernetes.io/serviceaccount/token' }, {}, 'token-file'],
    [{ token: 't' }, { 'proxy-url': 'socks5://127.0.0.1:1080' }, 'proxy-url'],
    [{ username: 'admin', password: 'admin' }, {}, 'username'],
    [{ as: 'system:admin' }, {}, 'as'],
    [{ 'client-key': '/etc/kubernetes/pki/admin.key' }, {}, 'client-key'],
    [{ token: 't' }, { 'certificate-authority': '/etc/ssl/ca.pem' }, 'certificate-authority'],
  ])('refuses a kubeconfig that would run or read something: %j %j', (user, cluster, field) => {
    expect(() => decodeConsumerKubeconfig(b64(kubeconfig(user, cluster)))).toThrow(
      expect.objectContaining({ details: expect.stringContaining(`"${field}"`) as unknown }),
    );
  });

  it('refuses what is not base64 or not YAML, or too large before decoding it', () => {
    expect(() => decodeConsumerKubeconfig('A'.repeat(2 << 20))).toThrow(
      expect.objectContaining({ details: expect.stringContaining('too large') as unknown }),
    );
    expect(() => decodeConsumerKubeconfig('%%%')).toThrow('Invalid consumer kubeconfig');
    expect(() => decodeConsumerKubeconfig(Buffer.from('a: [').toString('base64'))).toThrow(
      'Invalid consumer kubeconfig',
    );
  });
});
