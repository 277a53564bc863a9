// The example provider APIs (wildwest.dev cowboys and sheriffs) on the real kube-apiserver: the
// CRDs install with the export label, the templates and the collection are valid kube-bind.io
// objects, and a CRD → BoundSchema → CRD round trip through the API server keeps the schema (the
// BoundSchema is stored and read back, and the CRD it yields is accepted and Established).
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  wildwestCollection,
  wildwestCRDs,
  wildwestTemplates,
} from '../../src/apis/examples/wildwest.ts';
import { exportedLabel } from '../../src/apis/kubebind/wire.ts';
import {
  boundSchemaSpecFromCRD,
  boundSchemaToCRD,
  exportedSchemaKey,
} from '../../src/apis/kubebind/schema-mapping.ts';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { resourceGroupName } from '../../src/apis/kubebind/group-resource.ts';
import { installCRDs, isEstablished } from '../../src/kube/crds.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { CustomResourceDefinitions } from '../../src/kube/resources.ts';
import { kubeAdmin, testNamespace, uniqueSuffix } from '../harness/context.ts';
import { ensureKubeBindCRDs } from '../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('wildwest example APIs', () => {
  it('install with the export label; templates and collection are accepted', async () => {
    const admin = await kubeAdmin();
    await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
    const exported = await new ResourceClient(admin, CustomResourceDefinitions).list({
      labelSelector: `${exportedLabel}=true`,
    });
    const wildwest = exported.items.filter((crd) => crd.spec.group === 'wildwest.dev');
    const names = wildwest.map((crd) => crd.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(['cowboys.wildwest.dev', 'sheriffs.wildwest.dev']),
    );
    const scopes = Object.fromEntries(wildwest.map((c) => [c.spec.names.plural, c.spec.scope]));
    expect(scopes).toMatchObject({ cowboys: 'Namespaced', sheriffs: 'Cluster' });

    const templates = new ResourceClient(admin, kb.APIServiceExportTemplates);
    for (const template of wildwestTemplates()) {
      const name = `${template.metadata?.name ?? ''}-${uniqueSuffix()}`;
      onTestFinished(async () => {
        await templates.delete(name).catch(() => undefined);
      });
      const created = await templates.create({ ...template, metadata: { name } });
      expect(created.spec).toMatchObject(template.spec);
    }
    const collections = new ResourceClient(admin, kb.Collections);
    const name = `wildwest-${uniqueSuffix()}`;
    onTestFinished(async () => {
      await collections.delete(name).catch(() => undefined);
    });
    const collection = await collections.create({ ...wildwestCollection(), metadata: { name } });
    expect(collection.spec.templates.map((t) => t.name)).toEqual(['cowboys', 'sheriffs']);
  });

  it.each(['cowboys', 'sheriffs'])(
    '%s: CRD → BoundSchema (stored) → CRD keeps the schema and is Established',
    async (plural) => {
      const admin = await kubeAdmin();
      await installCRDs(admin, wildwestCRDs(), { fieldManager: 'kube-bind-ts-tests' });
      const crds = new ResourceClient(admin, CustomResourceDefinitions);
      const source = await crds.get(`${plural}.wildwest.dev`);

      // The backend's copy, stored in a contract namespace and read back.
      const spec = boundSchemaSpecFromCRD(source, 'Namespaced');
      const ns = await testNamespace(admin, 'boundschema');
      const boundSchemas = new ResourceClient(admin, kb.BoundSchemas, ns);
      const name = resourceGroupName({ group: spec.group, resource: spec.names.plural });
      expect(exportedSchemaKey(spec)).toBe(`${plural}.wildwest.dev`);
      await boundSchemas.create({ metadata: { name }, spec });
      const stored = await boundSchemas.get(name);
      expect(stored.spec).toEqual(spec);

      // What a konnector installs from it: the same schema, accepted by the API server.
      const crd = boundSchemaToCRD(stored.spec ?? spec);
      expect(crd.metadata?.name).toBe(source.metadata?.name);
      expect(crd.spec.versions.map((v) => v.schema)).toEqual(
        source.spec.versions.map((v) => v.schema),
      );
      expect(crd.spec.versions.map((v) => v.subresources)).toEqual(
        source.spec.versions.map((v) => v.subresources),
      );
      expect(crd.spec.versions.map((v) => v.additionalPrinterColumns)).toEqual(
        source.spec.versions.map((v) => v.additionalPrinterColumns),
      );
      const group = `rt-${uniqueSuffix()}.test`;
      const copy = {
        ...crd,
        metadata: { name: `${crd.spec.names.plural}.${group}` },
        spec: { ...crd.spec, group },
      };
      onTestFinished(async () => {
        await crds.delete(copy.metadata.name).catch(() => undefined);
      });
      await installCRDs(admin, [copy], { fieldManager: 'kube-bind-ts-tests' });
      const live = await crds.get(copy.metadata.name);
      expect(isEstablished(live)).toBe(true);
      expect(live.spec.versions.map((v) => v.schema)).toEqual(
        source.spec.versions.map((v) => v.schema),
      );
    },
  );
});
