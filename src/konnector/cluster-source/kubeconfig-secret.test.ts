import { describe, expect, it } from 'vitest';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { APIServiceBinding, APIServiceBindingBundle } from '../../apis/kubebind/types.gen.ts';
import { providerKubeconfigLabel } from '../../apis/kubebind/wire.ts';
import type { SecretKeyRef } from '../cluster.ts';
import {
  checkProviderSecret,
  defaultKubeconfigKey,
  providerRefs,
  refOf,
} from './kubeconfig-secret.ts';

// --- builders ---------------------------------------------------------------------------------

const ref: SecretKeyRef = { namespace: 'kube-bind', name: 'kubeconfig-abc', key: 'kubeconfig' };

const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A provider kubeconfig with inline credentials; `user` and `context` replace the defaults. */
const kubeconfig = ({
  user = '    token: abc',
  context = '    cluster: provider\n    user: konnector\n    namespace: kube-bind-abc',
} = {}) => `apiVersion: v1
kind: Config
current-context: provider
clusters:
- name: provider
  cluster:
    server: https://provider.example.com:6443
    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}
contexts:
- name: provider
  context:
${context}
users:
- name: konnector
  user:
${user}
`;

const secretWith = (data?: Record<string, string>): Secret => ({
  metadata: { name: ref.name, namespace: ref.namespace },
  ...(data && { data }),
});

const encoded = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const invalid = (why: string) => ({
  ok: false,
  reason: 'KubeconfigSecretInvalid',
  message: `Kubeconfig secret kube-bind/kubeconfig-abc is invalid: ${why}`,
});

const binding = (secretRef: Partial<SecretKeyRef>): APIServiceBinding => ({
  metadata: { name: 'widgets' },
  // Objects from the server may lack fields the CRD requires.
  spec: { kubeconfigSecretRef: secretRef as SecretKeyRef },
});

const bundle = (secretRef: SecretKeyRef): APIServiceBindingBundle => ({
  metadata: { name: 'provider' },
  spec: { kubeconfigSecretRef: secretRef },
});

const labelled = (namespace: string, name: string, value = 'true'): Secret => ({
  metadata: { namespace, name, labels: { [providerKubeconfigLabel]: value } },
});

// --- tests ------------------------------------------------------------------------------------

describe('checkProviderSecret', () => {
  it('reports a missing Secret', () => {
    expect(checkProviderSecret(ref, undefined)).toStrictEqual({
      ok: false,
      reason: 'KubeconfigSecretNotFound',
      message:
        'Kubeconfig secret kube-bind/kubeconfig-abc not found. Rerun kubectl bind for repair.',
    });
  });

  it('reports a Secret without the key', () => {
    const s = secretWith({ other: encoded(kubeconfig()) });
    expect(checkProviderSecret(ref, s)).toStrictEqual(invalid('it has no "kubeconfig" key'));
    expect(checkProviderSecret(ref, secretWith())).toStrictEqual(
      invalid('it has no "kubeconfig" key'),
    );
  });

  it('refuses a kubeconfig that would run a program', () => {
    const exec = kubeconfig({ user: '    exec:\n      apiVersion: v1\n      command: /bin/steal' });
    const check = checkProviderSecret(ref, secretWith({ kubeconfig: encoded(exec) }));
    expect(check).toMatchObject({ ok: false, reason: 'KubeconfigSecretInvalid' });
    expect(check.ok ? '' : check.message).toMatch(
      /^Kubeconfig secret kube-bind\/kubeconfig-abc is invalid: users\[0\]\.user: "exec" is not accepted/,
    );
  });

  it('refuses a kubeconfig that would read a file: the token-file a full loader reads on load', () => {
    const tokenFile = kubeconfig({
      user: '    token-file: /var/run/secrets/kubernetes.io/serviceaccount/token',
    });
    const check = checkProviderSecret(ref, secretWith({ kubeconfig: encoded(tokenFile) }));
    expect(check.ok ? '' : check.message).toContain('users[0].user: "token-file" is not accepted');
  });

  it('refuses a kubeconfig whose current context has no namespace', () => {
    const noNamespace = kubeconfig({ context: '    cluster: provider\n    user: konnector' });
    expect(
      checkProviderSecret(ref, secretWith({ kubeconfig: encoded(noNamespace) })),
    ).toStrictEqual(invalid('the current context has no namespace'));
  });

  it('refuses data that is not a kubeconfig', () => {
    expect(
      checkProviderSecret(ref, secretWith({ kubeconfig: encoded('- a\n- b\n') })),
    ).toStrictEqual(invalid('not a kubeconfig: not a YAML mapping'));
  });

  it('returns the decoded kubeconfig, its contract namespace, server and connection', async () => {
    const text = kubeconfig();
    const check = checkProviderSecret(ref, secretWith({ kubeconfig: encoded(text) }));
    expect(check).toStrictEqual({
      ok: true,
      text,
      contractNamespace: 'kube-bind-abc',
      server: 'https://provider.example.com:6443',
      connection: {
        server: 'https://provider.example.com:6443',
        caPem,
        authorization: expect.any(Function) as unknown,
      },
    });
    expect(await (check.ok ? check.connection.authorization?.() : '')).toBe('Bearer abc');
  });

  it('reads the key the reference names', () => {
    const other = { ...ref, key: 'config' };
    const check = checkProviderSecret(other, secretWith({ config: encoded(kubeconfig()) }));
    expect(check.ok).toBe(true);
  });
});

describe('refOf', () => {
  it('defaults an empty key to kubeconfig', () => {
    expect(defaultKubeconfigKey).toBe('kubeconfig');
    expect(refOf(binding({ namespace: 'kube-bind', name: 'kc', key: '' }))).toStrictEqual({
      namespace: 'kube-bind',
      name: 'kc',
      key: 'kubeconfig',
    });
    expect(refOf(binding({ namespace: 'kube-bind', name: 'kc' }))?.key).toBe('kubeconfig');
  });

  it('keeps a given key', () => {
    expect(refOf(bundle({ namespace: 'kube-bind', name: 'kc', key: 'config' }))).toStrictEqual({
      namespace: 'kube-bind',
      name: 'kc',
      key: 'config',
    });
  });

  it('is undefined without an object, a spec, a namespace or a name', () => {
    expect(refOf(undefined)).toBeUndefined();
    expect(refOf({ metadata: { name: 'widgets' } })).toBeUndefined();
    expect(refOf(binding({ name: 'kc', key: 'kubeconfig' }))).toBeUndefined();
    expect(refOf(binding({ namespace: 'kube-bind', name: '', key: 'kubeconfig' }))).toBeUndefined();
  });
});

describe('providerRefs', () => {
  it('collects bindings, bundles and labelled Secrets, without duplicates, sorted', () => {
    const refs = providerRefs(
      [
        binding({ namespace: 'kube-bind', name: 'zeta', key: 'kubeconfig' }),
        // The same reference, the key defaulted.
        binding({ namespace: 'kube-bind', name: 'zeta', key: '' }),
        binding({ namespace: 'kube-bind', name: 'zeta', key: 'other' }),
      ],
      [bundle({ namespace: 'kube-bind', name: 'alpha', key: 'kubeconfig' })],
      [labelled('kube-bind', 'alpha'), labelled('a-first', 'mid')],
    );
    expect(refs).toStrictEqual([
      { namespace: 'a-first', name: 'mid', key: 'kubeconfig' },
      { namespace: 'kube-bind', name: 'alpha', key: 'kubeconfig' },
      { namespace: 'kube-bind', name: 'zeta', key: 'kubeconfig' },
      { namespace: 'kube-bind', name: 'zeta', key: 'other' },
    ]);
  });

  it('takes only Secrets labelled "true" that have a namespace and a name', () => {
    const refs = providerRefs(
      [],
      [],
      [
        labelled('kube-bind', 'yes'),
        labelled('kube-bind', 'no', 'false'),
        { metadata: { namespace: 'kube-bind', name: 'unlabelled' } },
        { metadata: { name: 'nowhere', labels: { [providerKubeconfigLabel]: 'true' } } },
      ],
    );
    expect(refs).toStrictEqual([{ namespace: 'kube-bind', name: 'yes', key: 'kubeconfig' }]);
  });

  it('skips bindings and bundles without a usable reference', () => {
    expect(providerRefs([binding({ name: 'kc' })], [{ metadata: { name: 'b' } }], [])).toEqual([]);
  });
});
