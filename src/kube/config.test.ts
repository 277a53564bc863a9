import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectionFromKubeconfig, connectionInCluster } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = (what: string) => `-----BEGIN ${what}-----\nMIIB\n-----END ${what}-----\n`;

const kubeconfig = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://a:6443//', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'x', context: { cluster: 'c', user: 'u' } },
      { name: 'anon', context: { cluster: 'c' } },
    ],
    'current-context': 'x',
  });

/** Writes `text` to `name` in a fresh directory below the temp dir and returns its path. */
let files = 0;
function write(name: string, text: string): string {
  const sub = join(dir, `case-${++files}`);
  mkdirSync(sub);
  writeFileSync(join(sub, name), text);
  return join(sub, name);
}

describe('connectionFromKubeconfig', () => {
  it('sends a static token, and nothing for a context without a user', async () => {
    const text = kubeconfig({ token: 'abc' }, { 'insecure-skip-tls-verify': true });
    const conn = await connectionFromKubeconfig({ text });
    expect(conn.server).toBe('https://a:6443');
    expect(conn.insecureSkipTlsVerify).toBe(true);
    expect(await conn.authorization?.()).toBe('Bearer abc');
    const anon = await connectionFromKubeconfig({ text, context: 'anon' });
    expect(anon.authorization).toBeUndefined();
  });

  it('sends basic auth', async () => {
    const conn = await connectionFromKubeconfig({
      text: kubeconfig({ username: 'admin', password: 'p:w' }),
    });
    expect(await conn.authorization?.()).toBe(
      `Basic ${Buffer.from('admin:p:w').toString('base64')}`,
    );
  });

  it('reads CA, client certificate, key and token files relative to the kubeconfig', async () => {
    const file = write(
      'config',
      kubeconfig(
        { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' },
        { 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'kubernetes' },
      ),
    );
    const pki = join(file, '..', 'pki');
    mkdirSync(pki);
    writeFileSync(join(pki, 'ca.crt'), pem('CERTIFICATE'));
    writeFileSync(join(pki, 'client.crt'), pem('CERTIFICATE'));
    writeFileSync(join(pki, 'client.key'), pem('PRIVATE KEY'));
    const conn = await connectionFromKubeconfig({ file });
    expect(conn).toMatchObject({
      caPem: pem('CERTIFICATE'),
      certPem: pem('CERTIFICATE'),
      keyPem: pem('PRIVATE KEY'),
      tlsServerName: 'kubernetes',
    });
    await expect(
      connectionFromKubeconfig({ text: kubeconfig({}, { 'certificate-authority': 'nope.crt' }) }),
    ).rejects.toThrow(/cannot read cluster "c" CA/);
  });

  it('re-reads a tokenFile as it rotates', async () => {
    const file = write('config', kubeconfig({ tokenFile: 'token' }));
    const token = join(file, '..', 'token');
    writeFileSync(token, 'first');
    const conn = await connectionFromKubeconfig({ file });
    expect(await conn.authorization?.()).toBe('Bearer first');
    // The cache lasts a minute; a fresh connection shows the file is what is read.
    writeFileSync(token, 'second');
    expect(await (await connectionFromKubeconfig({ file })).authorization?.()).toBe(
      'Bearer second',
    );
  });

  it('runs an exec plugin next to the kubeconfig; a certificate it returns is used', async () => {
    const status = { token: 'from-exec', clientCertificateData: 'C', clientKeyData: 'K' };
    const answer = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status,
    });
    const file = write(
      'config',
      kubeconfig({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: './bin/plugin.sh',
          interactiveMode: 'Never',
        },
      }),
    );
    const bin = join(file, '..', 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'plugin.sh'), `#!/bin/sh\ncat <<'EOF'\n${answer}\nEOF\n`);
    chmodSync(join(bin, 'plugin.sh'), 0o755);
    const conn = await connectionFromKubeconfig({ file });
    expect(conn).toMatchObject({ certPem: 'C', keyPem: 'K' });
    expect(await conn.authorization?.()).toBe('Bearer from-exec');
  });

  it('fails clearly on a missing file and on a missing context', async () => {
    await expect(connectionFromKubeconfig({ file: join(dir, 'absent') })).rejects.toThrow(
      /cannot read the kubeconfig: .*ENOENT/,
    );
    await expect(
      connectionFromKubeconfig({ text: kubeconfig({ token: 't' }), context: 'z' }),
    ).rejects.toThrow('kubeconfig has no context "z"');
  });
});

describe('connectionInCluster', () => {
  it('reads the service account below pathPrefix and sends its token', async () => {
    const prefix = join(dir, 'pod');
    const mount = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, 'ca.crt'), pem('CERTIFICATE'));
    writeFileSync(join(mount, 'token'), 'sa');
    const saved = { ...process.env };
    process.env['KUBERNETES_SERVICE_HOST'] = '127.0.0.1';
    process.env['KUBERNETES_SERVICE_PORT'] = '6443';
    try {
      const conn = await connectionInCluster({ pathPrefix: prefix });
      expect(conn).toMatchObject({ server: 'https://127.0.0.1:6443', caPem: pem('CERTIFICATE') });
      expect(await conn.authorization?.()).toBe('Bearer sa');
    } finally {
      process.env = saved;
    }
  });
});
