import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { bindingBundleYaml, exportRequestsYaml, kubeconfigYaml } from './manifests.ts';

const kubeconfig = 'apiVersion: v1\nkind: Config\ncurrent-context: provider # ✓\n';
const kubeconfigB64 = Buffer.from(kubeconfig).toString('base64');

describe('manifests', () => {
  it('builds the binding bundle: Namespace, Secret and APIServiceBindingBundle', () => {
    const docs = parseAllDocuments(bindingBundleYaml('my-cowboys', kubeconfigB64)).map(
      (d) => d.toJS() as unknown,
    );
    expect(docs).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-bind' } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'kubeconfig-my-cowboys', namespace: 'kube-bind' },
        type: 'Opaque',
        data: { kubeconfig: kubeconfigB64 },
      },
      {
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceBindingBundle',
        metadata: { name: 'my-cowboys' },
        spec: {
          kubeconfigSecretRef: {
            name: 'kubeconfig-my-cowboys',
            namespace: 'kube-bind',
            key: 'kubeconfig',
          },
        },
      },
    ]);
  });

  it('writes each export request as its own document', () => {
    const requests = [
      {
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceExportRequest',
        metadata: { name: 'a' },
        spec: { resources: [] },
      },
      {
        apiVersion: 'kube-bind.io/v1alpha2',
        kind: 'APIServiceExportRequest',
        metadata: { name: 'b' },
        spec: { resources: [{ resource: 'x?' }] },
      },
    ];
    expect(parseAllDocuments(exportRequestsYaml(requests)).map((d) => d.toJS() as unknown)).toEqual(
      requests,
    );
  });

  it('decodes the kubeconfig as UTF-8', () => {
    expect(kubeconfigYaml(kubeconfigB64)).toBe(kubeconfig);
  });
});
