// The backend's first start step on the real kube-apiserver: with installation on, the CRDs are
// applied and Established; with it off, missing CRDs are named in a clear error; an upgrade of a
// CRD is applied in place (objects kept, new fields served, other managers' fields untouched).
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { clusterBinding } from '../../src/apis/kubebind/crds/clusterbinding.ts';
import { toCRD } from '../../src/apis/schema/crd.ts';
import { ensureKubeBindAPI, KubeBindAPIMissingError } from '../../src/backend/app/kube-bind-api.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { installCRDs, isEstablished } from '../../src/kube/crds.ts';
import { kubeBindCRDs } from '../../src/apis/kubebind/crds/index.ts';
import { ResourceClient, resourceType, type KubeObject } from '../../src/kube/resource.ts';
import { CustomResourceDefinitions } from '../../src/kube/resources.ts';
import {
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
  uniqueSuffix,
} from '../harness/context.ts';

/** The ClusterBinding CRD moved to a group of this test's own, deleted afterwards. */
function privateCopy(admin: KubeClient, mutate?: (crd: CustomResourceDefinition) => void) {
  const group = `upgrade-${uniqueSuffix()}.test`;
  const crd = toCRD({ ...clusterBinding, group });
  mutate?.(crd);
  onTestFinished(async () => {
    await new ResourceClient(admin, CustomResourceDefinitions)
      .delete(crd.metadata?.name ?? '')
      .catch(() => undefined);
  });
  return { group, crd };
}

describe('ensureKubeBindAPI', () => {
  it('applies all kube-bind.io CRDs and waits until they are Established', async () => {
    const admin = await kubeAdmin();
    await ensureKubeBindAPI(admin, { install: true, log: testLogger() });
    const crds = new ResourceClient(admin, CustomResourceDefinitions);
    const versions = async () =>
      Promise.all(
        kubeBindCRDs().map(async (crd) => {
          const live = await crds.get(crd.metadata?.name ?? '');
          expect(isEstablished(live)).toBe(true);
          return `${live.metadata?.name ?? ''}@${live.metadata?.generation ?? 0}`;
        }),
      );
    const before = await versions();
    expect(before).toHaveLength(12);
    // A second start changes no CRD (server-side apply of the same content is a no-op), and the
    // check-only mode passes.
    await ensureKubeBindAPI(admin, { install: true, log: testLogger() });
    await ensureKubeBindAPI(admin, { install: false, log: testLogger() });
    expect(await versions()).toEqual(before);
  });

  it('with installation off, names the CRDs that are missing', async () => {
    const admin = await kubeAdmin();
    const { crd } = privateCopy(admin);
    const err = await ensureKubeBindAPI(admin, {
      install: false,
      crds: [crd],
      log: testLogger(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeBindAPIMissingError);
    expect((err as Error).message).toContain(`${crd.metadata?.name ?? ''} (not found)`);
    expect((err as Error).message).toContain('--install-crds=true');
  });

  it('upgrades a CRD in place: objects survive, new fields are served, others keep theirs', async () => {
    const admin = await kubeAdmin();
    // The "old" CRD lacks status.consumerSecretRef.
    const { group, crd: current } = privateCopy(admin);
    const old = structuredClone(current);
    const status = old.spec.versions[1]?.schema?.openAPIV3Schema?.properties?.['status'];
    delete status?.properties?.['consumerSecretRef'];
    await installCRDs(admin, [old], { fieldManager: 'kube-bind-ts-backend' });

    // Another manager labels the CRD; the upgrade must not take that away.
    const crds = new ResourceClient(admin, CustomResourceDefinitions);
    await crds.apply(
      { metadata: { name: current.metadata?.name ?? '', labels: { team: 'platform' } } } as never,
      { fieldManager: 'someone-else' },
    );

    const type = resourceType<KubeObject & { status?: Record<string, unknown> }>({
      group,
      version: 'v1alpha2',
      resource: 'clusterbindings',
      kind: 'ClusterBinding',
      namespaced: true,
    });
    const ns = await testNamespace(admin, 'upgrade');
    const bindings = new ResourceClient(admin, type, ns);
    const created = await bindings.create({
      metadata: { name: 'cluster' },
      spec: { kubeconfigSecretRef: { name: 'k', key: 'kubeconfig' }, providerPrettyName: 'p' },
    } as never);
    const ref = { name: 'kubeconfig', namespace: 'kube-bind' };
    const pruned = await bindings.updateStatus({ ...created, status: { consumerSecretRef: ref } });
    expect(pruned.status?.['consumerSecretRef']).toBeUndefined();

    await installCRDs(admin, [current], { fieldManager: 'kube-bind-ts-backend' });
    const live = await crds.get(current.metadata?.name ?? '');
    expect(live.metadata?.labels?.['team']).toBe('platform');
    const kept = await bindings.get('cluster');
    expect(kept.metadata?.uid).toBe(created.metadata?.uid);
    // The API server switches to the new schema shortly after the update (see src/kube/crds.ts).
    const updated = await eventually('the upgraded schema to keep consumerSecretRef', async () => {
      const live = await bindings.get('cluster');
      const written = await bindings.updateStatus({ ...live, status: { consumerSecretRef: ref } });
      return written.status?.['consumerSecretRef'] === undefined ? undefined : written;
    });
    expect(updated.status?.['consumerSecretRef']).toEqual(ref);
  });
});
