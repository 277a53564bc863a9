// Kubeconfigs an attacker hands to a component that connects with them: each
// points at a recording listener and uses one field outside the allow-list that, in a loader
// like client-go's, reads a local file, runs a command or changes how the request is sent.
// Every one must be refused before anything is read, run or sent.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificateAuthority } from './pki.ts';
import type { RecordingListener } from './recording-listener.ts';

export interface Attack {
  /** What the kubeconfig tries. */
  name: string;
  /** The field the refusal must name, and where it is (`users[0].user`, `clusters[0].cluster`). */
  field: string;
  at: string;
  kubeconfig: string;
}

export interface AttackFiles {
  dir: string;
  /** A file standing for the victim's service-account token; its content is the secret. */
  tokenFile: string;
  secret: string;
  /** The file the exec command creates: it must never exist. */
  marker: string;
}

/** A token file with a random secret and the marker path, in a fresh directory under `baseDir`. */
export function attackFiles(baseDir: string): AttackFiles {
  const dir = mkdtempSync(join(baseDir, 'attack-'));
  const secret = `stolen-${randomUUID()}`;
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, secret);
  return { dir, tokenFile, secret, marker: join(dir, 'exec-ran') };
}

/** The hostile kubeconfigs; `namespace` is set in the context (the konnector and plugin need it). */
export async function hostileKubeconfigs(
  listener: RecordingListener,
  files: AttackFiles,
  namespace = 'kube-bind-attack',
): Promise<Attack[]> {
  // Client certificate files the loader would read and present.
  const ca = await createCertificateAuthority('attack CA');
  const client = await ca.issueClient('attacker');
  const certFile = join(files.dir, 'client.crt');
  const keyFile = join(files.dir, 'client.key');
  writeFileSync(certFile, client.certPem);
  writeFileSync(keyFile, client.keyPem);
  // Skipping verification makes a fooled client complete the request, Authorization included.
  const cluster = { server: listener.url, 'insecure-skip-tls-verify': true };
  const execCredential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: 'from-exec' },
  });
  const attack = (
    name: string,
    field: string,
    user: Record<string, unknown>,
    clusterExtra: Record<string, unknown> = {},
  ): Attack => ({
    name,
    field,
    at: field in clusterExtra ? 'clusters[0].cluster' : 'users[0].user',
    kubeconfig: stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'attacker', cluster: { ...cluster, ...clusterExtra } }],
      users: [{ name: 'attacker', user }],
      contexts: [
        { name: 'attacker', context: { cluster: 'attacker', user: 'attacker', namespace } },
      ],
      'current-context': 'attacker',
    }),
  });
  return [
    attack('token-file sends the local token', 'token-file', { 'token-file': files.tokenFile }),
    attack('tokenFile (kubectl spelling)', 'tokenFile', { tokenFile: files.tokenFile }),
    attack('exec runs a command', 'exec', {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: '/bin/sh',
        args: ['-c', `touch '${files.marker}'; printf '%s' '${execCredential}'`],
        interactiveMode: 'Never',
      },
    }),
    attack('auth-provider reads a token file', 'auth-provider', {
      'auth-provider': { name: 'oidc', config: { 'id-token': 'x', tokenFile: files.tokenFile } },
    }),
    attack('client certificate files', 'client-certificate', {
      'client-certificate': certFile,
      'client-key': keyFile,
    }),
    attack('basic auth', 'username', { username: 'admin', password: 'admin' }),
    attack('impersonation', 'as', { token: 'attacker', as: 'system:admin' }),
    attack('proxy-url', 'proxy-url', { token: 'attacker' }, { 'proxy-url': listener.url }),
    attack(
      'certificate-authority file',
      'certificate-authority',
      { token: 'attacker' },
      {
        'certificate-authority': certFile,
      },
    ),
  ];
}
