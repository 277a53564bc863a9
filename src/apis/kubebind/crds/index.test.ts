import { describe, expect, it } from 'vitest';
import { consumerCRDs, kubeBindCRDs, kubeBindKinds } from './index.ts';

describe('the kube-bind.io kinds', () => {
  it('are 12, uniquely named, each with exactly one storage version', () => {
    expect(kubeBindKinds).toHaveLength(12);
    expect(new Set(kubeBindKinds.map((k) => k.names.plural)).size).toBe(12);
    for (const kind of kubeBindKinds) {
      expect(
        kind.versions.filter((v) => v.storage),
        kind.names.kind,
      ).toHaveLength(1);
    }
  });

  it('all store v1alpha2, and the five older kinds still serve v1alpha1', () => {
    const withV1alpha1 = kubeBindKinds
      .filter((k) => k.versions.some((v) => v.name === 'v1alpha1'))
      .map((k) => k.names.plural)
      .sort();
    expect(withV1alpha1).toEqual([
      'apiservicebindings',
      'apiserviceexportrequests',
      'apiserviceexports',
      'apiservicenamespaces',
      'clusterbindings',
    ]);
    for (const crd of kubeBindCRDs()) {
      expect(crd.spec.versions.find((v) => v.storage)?.name, crd.metadata?.name).toBe('v1alpha2');
    }
  });

  it('gives the konnector the consumer-side CRDs only', () => {
    expect(consumerCRDs().map((crd) => crd.metadata?.name)).toEqual([
      'apiservicebindingbundles.kube-bind.io',
      'apiservicebindings.kube-bind.io',
    ]);
  });
});
