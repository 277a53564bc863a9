import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CommandError } from './errors.ts';
import {
  kubeconfigTarget,
  loadConsumerKubeconfig,
  mergeKubeconfigs,
  sameTarget,
} from './kubeconfig.ts';

function kubeconfig(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: `https://${name}:6443` } }],
    users: [{ name, user: { token: `token-${name}` } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    ...extra,
  };
}

describe('mergeKubeconfigs', () => {
  it('lets the first file win for names and the current context, and resolves relative paths', () => {
    const merged = mergeKubeconfigs([
      {
        path: '/a/config',
        doc: {
          clusters: [
            { name: 'one', cluster: { server: 'https://a', 'certificate-authority': 'ca.pem' } },
          ],
          users: [
            {
              name: 'u',
              user: {
                'client-certificate': 'certs/u.crt',
                'client-key': '/abs/u.key',
                exec: { command: './bin/auth' },
              },
            },
          ],
          contexts: [{ name: 'one', context: { cluster: 'one', user: 'u' } }],
        },
      },
      {
        path: '/b/config',
        doc: {
          clusters: [
            { name: 'one', cluster: { server: 'https://ignored' } },
            { name: 'two', cluster: { server: 'https://b' } },
          ],
          users: [{ name: 'v', user: { exec: { command: 'gke-gcloud-auth-plugin' } } }],
          contexts: [{ name: 'two', context: { cluster: 'two', user: 'v' } }],
          'current-context': 'two',
        },
      },
    ]);
    expect(merged['current-context']).toBe('two');
    expect(merged.clusters).toEqual([
      { name: 'one', cluster: { server: 'https://a', 'certificate-authority': '/a/ca.pem' } },
      { name: 'two', cluster: { server: 'https://b' } },
    ]);
    expect(merged.users).toEqual([
      {
        name: 'u',
        user: {
          'client-certificate': '/a/certs/u.crt',
          'client-key': '/abs/u.key',
          exec: { command: '/a/bin/auth' },
        },
      },
      // A bare command is looked up on PATH, not next to the file.
      { name: 'v', user: { exec: { command: 'gke-gcloud-auth-plugin' } } },
    ]);
    expect(merged.contexts?.map((c) => c.name)).toEqual(['one', 'two']);
  });
});

describe('loadConsumerKubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-bind-kc-'));
  const first = join(dir, 'first');
  const second = join(dir, 'second');
  writeFileSync(first, stringify(kubeconfig('first', { 'current-context': '' })));
  writeFileSync(second, stringify(kubeconfig('second')));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), stringify(kubeconfig('home')));

  const load = (flags: { kubeconfig?: string; context?: string }, env: NodeJS.ProcessEnv = {}) =>
    loadConsumerKubeconfig(flags, env, home);

  it('prefers --kubeconfig, then $KUBECONFIG (merged), then ~/.kube/config', () => {
    expect(load({ kubeconfig: second }, { KUBECONFIG: first })).toMatchObject({
      context: 'second',
      source: second,
    });
    const merged = load({}, { KUBECONFIG: [join(dir, 'nope'), first, '', second].join(delimiter) });
    expect(merged).toMatchObject({ context: 'second' });
    if (merged === 'in-cluster') throw new Error('unexpected');
    const doc = parse(merged.text) as { clusters: { name: string }[] };
    expect(doc.clusters.map((c) => c.name)).toEqual(['first', 'second']);
    expect(load({})).toMatchObject({ context: 'home' });
    expect(
      load({ context: 'first' }, { KUBECONFIG: `${first}${delimiter}${second}` }),
    ).toMatchObject({ context: 'first' });
  });

  it('says what is missing', () => {
    expect(() => load({ kubeconfig: join(dir, 'nope') })).toThrow(
      `the kubeconfig ${join(dir, 'nope')} (--kubeconfig) does not exist`,
    );
    expect(() => load({}, { KUBECONFIG: join(dir, 'nope') })).toThrow(
      'no kubeconfig: none of the files in $KUBECONFIG',
    );
    expect(() => load({ kubeconfig: first })).toThrow(
      `${first} has no current context: pass --context`,
    );
    expect(() => load({ context: 'other' })).toThrow('has no context "other" (--context)');
    expect(() => loadConsumerKubeconfig({}, {}, join(dir, 'nobody'))).toThrow(CommandError);
    expect(
      loadConsumerKubeconfig({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'nobody')),
    ).toBe('in-cluster');
  });
});

describe('kubeconfigTarget', () => {
  it("reads the current context's server and namespace", () => {
    const doc = kubeconfig('p', {
      contexts: [{ name: 'p', context: { cluster: 'p', user: 'p', namespace: 'cluster-x' } }],
    });
    expect(kubeconfigTarget(stringify(doc))).toEqual({
      server: 'https://p:6443',
      namespace: 'cluster-x',
    });
    expect(kubeconfigTarget(stringify(kubeconfig('q')))).toEqual({ server: 'https://q:6443' });
  });

  it.each([
    ['[', 'not YAML'],
    ['- a', 'not a kubeconfig'],
    [stringify(kubeconfig('p', { 'current-context': '' })), 'no current context'],
    [stringify(kubeconfig('p', { 'current-context': 'x' })), 'current context "x" is not defined'],
    [stringify(kubeconfig('p', { clusters: [] })), 'the cluster "p" of "p" is missing'],
    [stringify(kubeconfig('p', { clusters: [{ name: 'p', cluster: {} }] })), 'has no server'],
  ])('refuses %j', (text, message) => {
    expect(() => kubeconfigTarget(text)).toThrow(message);
  });

  it('compares server (trailing slash aside) and namespace', () => {
    const a = { server: 'https://h:6443/clusters/x', namespace: 'n' };
    expect(sameTarget(a, { server: 'https://h:6443/clusters/x/', namespace: 'n' })).toBe(true);
    expect(sameTarget(a, { server: 'https://h:6443/clusters/y', namespace: 'n' })).toBe(false);
    expect(sameTarget(a, { server: 'https://h:6443/clusters/x' })).toBe(false);
  });
});
