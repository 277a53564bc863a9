// Installing the kube-bind.io CRDs on the real kube-apiserver: every CRD is accepted (structural
// schema, CEL rules compile) and becomes Established. Re-installing and upgrading are tested in
// test/backend/kube-bind-api.test.ts.
import { describe, expect, it } from 'vitest';
import { kubeBindCRDs } from '../../src/apis/kubebind/crds/index.ts';
import { installCRDs, isEstablished } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { CustomResourceDefinitions } from '../../src/kube/resources.ts';
import { kubeAdmin } from '../harness/context.ts';

describe('kube-bind.io CRDs', () => {
  it('all 12 install and become Established', async () => {
    const admin = await kubeAdmin();
    const crds = kubeBindCRDs();
    await installCRDs(admin, crds, { fieldManager: 'kube-bind-ts-tests' });
    const live = new ResourceClient(admin, CustomResourceDefinitions);
    for (const crd of crds) {
      const got = await live.get(crd.metadata?.name ?? '');
      expect(isEstablished(got), crd.metadata?.name).toBe(true);
    }
    expect(crds).toHaveLength(12);
  });
});
