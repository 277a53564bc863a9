import { describe, expect, it } from 'vitest';
import type {
  APIServiceBinding,
  APIServiceBindingBundle,
  APIServiceExport,
} from '../../../apis/kubebind/types.gen.ts';
import { ownedByBundle, planBundle } from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';
const secretRef = { namespace: 'kube-bind', name: 'kubeconfig-abc', key: 'kubeconfig' };

const bundle: APIServiceBindingBundle = {
  metadata: { name: 'provider', uid: 'bundle-uid' },
  spec: { kubeconfigSecretRef: secretRef },
};

const exportNamed = (name: string): APIServiceExport => ({
  metadata: { name, namespace: contract },
  spec: { resources: [], informerScope: 'Namespaced', isolation: 'Prefixed' },
});

const bundleOwner = (uid: string) => ({
  apiVersion: 'kube-bind.io/v1alpha2',
  kind: 'APIServiceBindingBundle',
  name: 'provider',
  uid,
  controller: true,
});

/** A binding owned by the bundle with `ownerUID`, or by nobody. */
const bindingNamed = (
  name: string,
  ownerUID?: string,
  deletionTimestamp?: string,
): APIServiceBinding => ({
  metadata: {
    name,
    ...(ownerUID && { ownerReferences: [bundleOwner(ownerUID)] }),
    ...(deletionTimestamp && { deletionTimestamp }),
  },
  spec: { kubeconfigSecretRef: secretRef },
});

// --- tests ------------------------------------------------------------------------------------

describe('ownedByBundle', () => {
  it('goes by the bundle UID', () => {
    expect(ownedByBundle(bindingNamed('a', 'bundle-uid'), bundle)).toBe(true);
    // A bundle deleted and re-created under the same name is another owner.
    expect(ownedByBundle(bindingNamed('a', 'old-uid'), bundle)).toBe(false);
    expect(ownedByBundle(bindingNamed('a'), bundle)).toBe(false);
  });

  it('needs the APIServiceBindingBundle kind', () => {
    const b = bindingNamed('a');
    b.metadata = {
      name: 'a',
      ownerReferences: [{ ...bundleOwner('bundle-uid'), kind: 'APIServiceExport' }],
    };
    expect(ownedByBundle(b, bundle)).toBe(false);
  });
});

describe('planBundle', () => {
  it('creates one binding per export, sorted, controlled by the bundle', () => {
    const plan = planBundle(bundle, [exportNamed('widgets'), exportNamed('gadgets')], []);
    expect(plan).toStrictEqual({
      create: ['gadgets', 'widgets'].map((name) => ({
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceBinding',
        metadata: { name, ownerReferences: [bundleOwner('bundle-uid')] },
        spec: { kubeconfigSecretRef: secretRef },
      })),
      delete: [],
      foreign: [],
    });
  });

  it('does not share the secret reference with the bundle', () => {
    const [created] = planBundle(bundle, [exportNamed('widgets')], []).create;
    expect(created?.spec?.kubeconfigSecretRef).toEqual(secretRef);
    expect(created?.spec?.kubeconfigSecretRef).not.toBe(bundle.spec?.kubeconfigSecretRef);
  });

  it('has nothing to do when every export has its binding', () => {
    expect(
      planBundle(
        bundle,
        [exportNamed('widgets'), exportNamed('gadgets')],
        [bindingNamed('gadgets', 'bundle-uid'), bindingNamed('widgets', 'bundle-uid')],
      ),
    ).toStrictEqual({ create: [], delete: [], foreign: [] });
  });

  it('reports exports whose binding name is taken by a binding it does not own', () => {
    const plan = planBundle(
      bundle,
      [exportNamed('widgets'), exportNamed('gadgets'), exportNamed('tools')],
      [bindingNamed('widgets'), bindingNamed('gadgets', 'other-bundle-uid')],
    );
    expect(plan.foreign).toEqual(['gadgets', 'widgets']);
    expect(plan.create.map((b) => b.metadata?.name)).toEqual(['tools']);
    expect(plan.delete).toEqual([]);
  });

  it('deletes owned bindings whose export is gone and leaves the others', () => {
    const plan = planBundle(
      bundle,
      [exportNamed('widgets')],
      [
        bindingNamed('widgets', 'bundle-uid'),
        bindingNamed('zebras', 'bundle-uid'),
        bindingNamed('apples', 'bundle-uid'),
        bindingNamed('manual'),
        bindingNamed('elsewhere', 'other-bundle-uid'),
      ],
    );
    expect(plan).toStrictEqual({ create: [], delete: ['apples', 'zebras'], foreign: [] });
  });

  it('does not delete an orphan that is already being deleted', () => {
    const plan = planBundle(
      bundle,
      [],
      [
        bindingNamed('going', 'bundle-uid', '2025-01-02T03:04:05Z'),
        bindingNamed('stale', 'bundle-uid'),
      ],
    );
    expect(plan.delete).toEqual(['stale']);
  });

  it('ignores exports without a name', () => {
    const nameless: APIServiceExport = { ...exportNamed(''), metadata: { namespace: contract } };
    expect(planBundle(bundle, [nameless, exportNamed('')], [])).toStrictEqual({
      create: [],
      delete: [],
      foreign: [],
    });
  });
});
