// The serviceexport controller on the real kube-apiserver: ProviderInSync follows the export's
// BoundSchemas, the source-spec hash annotation is the Go-compatible hash of their specs and
// follows a schema change, and the konnector's conditions stay.
import { beforeAll, describe, expect, it } from 'vitest';
import { wildwestCRDs } from '../../../src/apis/examples/wildwest.ts';
import { getCondition } from '../../../src/apis/kubebind/conditions.ts';
import { boundSchemaSpecFromCRD } from '../../../src/apis/kubebind/schema-mapping.ts';
import { sourceSpecHashOf } from '../../../src/apis/kubebind/spec-hash.ts';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { serviceExportController } from '../../../src/backend/controllers/serviceexport/controller.ts';
import { PatchType } from '../../../src/kube/client.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import { eventually, kubeAdmin, testNamespace } from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('serviceexport controller', () => {
  it('reports missing BoundSchemas, then keeps the hash annotation and ProviderInSync', async () => {
    const admin = await kubeAdmin();
    const ns = await testNamespace(admin, 'export');
    const exports = new ResourceClient(admin, kb.APIServiceExports, ns);
    const schemas = new ResourceClient(admin, kb.BoundSchemas, ns);
    await exports.create({
      metadata: { name: 'cowboys' },
      spec: {
        resources: [{ group: 'wildwest.dev', resource: 'cowboys', versions: ['v1alpha1'] }],
        informerScope: 'Namespaced',
        isolation: 'Prefixed',
      },
    });
    // An export written through v1alpha1 is stored without spec.resources: it must not break
    // the controller (or its cache) for the others.
    const v1alpha1 = {
      ...kb.APIServiceExports,
      version: 'v1alpha1',
    } as unknown as typeof kb.APIServiceExports;
    await new ResourceClient(admin, v1alpha1, ns).create({
      metadata: { name: 'sheriffs.wildwest.dev' },
      spec: {
        group: 'wildwest.dev',
        names: { plural: 'sheriffs', kind: 'Sheriff' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {} } }],
        informerScope: 'Cluster',
      },
    } as never);
    runControllers(admin, [serviceExportController(realClock)], [ns]);

    const inSync = async () =>
      getCondition((await exports.get('cowboys')).status?.conditions ?? [], 'ProviderInSync');
    const missing = await eventually('ProviderInSync=False', async () => {
      const c = await inSync();
      return c?.status === 'False' ? c : undefined;
    });
    expect(missing).toMatchObject({ reason: 'BoundSchemaMissing', severity: 'Error' });
    expect(missing.message).toContain('cowboys.wildwest.dev');

    // The konnector reports Connected meanwhile.
    const live = await exports.get('cowboys');
    const connected = {
      type: 'Connected',
      status: 'True',
      lastTransitionTime: '2026-11-21T10:00:00Z',
    };
    await exports.patch(
      'cowboys',
      PatchType.merge,
      { status: { conditions: [...(live.status?.conditions ?? []), connected] } },
      { subresource: 'status' },
    );

    const cowboys = wildwestCRDs()[0];
    if (!cowboys) throw new Error('no cowboys CRD');
    const spec = boundSchemaSpecFromCRD(cowboys, 'Namespaced');
    await schemas.create({ metadata: { name: 'cowboys.wildwest.dev' }, spec });
    const stored = await schemas.get('cowboys.wildwest.dev');
    const hash = sourceSpecHashOf([stored.spec ?? spec]);
    await eventually('the hash annotation and ProviderInSync=True', async () => {
      const exp = await exports.get('cowboys');
      const ok =
        exp.metadata?.annotations?.['kube-bind.io/source-spec-hash'] === hash &&
        getCondition(exp.status?.conditions ?? [], 'ProviderInSync')?.status === 'True';
      return ok ? true : undefined;
    });
    expect(
      getCondition((await exports.get('cowboys')).status?.conditions ?? [], 'Connected'),
    ).toEqual(connected);

    // The provider's schema changes (SchemaUpdatePolicy Always): the hash follows.
    const changed = structuredClone(stored);
    const first = changed.spec?.versions[0];
    if (!first) throw new Error('no version');
    first.deprecated = true;
    const updated = await schemas.update(changed);
    const newHash = sourceSpecHashOf([updated.spec ?? spec]);
    expect(newHash).not.toBe(hash);
    await eventually('the new hash', async () => {
      const exp = await exports.get('cowboys');
      return exp.metadata?.annotations?.['kube-bind.io/source-spec-hash'] === newHash
        ? true
        : undefined;
    });
  });
});
