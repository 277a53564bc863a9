// The files the download option offers (protocol.md §6.6): the provider kubeconfig, the export requests and
// a binding bundle that a konnector turns into APIServiceBindings.

import { textFromBase64 } from './base64.ts';
import { toYamlDocuments } from './yaml.ts';

export const bundleNamespace = 'kube-bind';

export function kubeconfigSecretName(bindingName: string): string {
  return `kubeconfig-${bindingName}`;
}

/**
 * binding-bundle.yaml: Namespace kube-bind, Secret kube-bind/kubeconfig-<name> (key `kubeconfig`,
 * the provider kubeconfig) and the cluster-scoped APIServiceBindingBundle <name> pointing at it.
 * `kubeconfigBase64` is the BindingResponse's `kubeconfig` (already standard base64).
 */
export function bindingBundleYaml(bindingName: string, kubeconfigBase64: string): string {
  const secretName = kubeconfigSecretName(bindingName);
  return toYamlDocuments([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: bundleNamespace } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace: bundleNamespace },
      type: 'Opaque',
      data: { kubeconfig: kubeconfigBase64 },
    },
    {
      apiVersion: 'kube-bind.io/v1alpha2',
      kind: 'APIServiceBindingBundle',
      metadata: { name: bindingName },
      spec: {
        kubeconfigSecretRef: { name: secretName, namespace: bundleNamespace, key: 'kubeconfig' },
      },
    },
  ]);
}

/** apiservice-export.yaml: the BindingResponse's `requests`, one document each. */
export function exportRequestsYaml(requests: readonly unknown[]): string {
  return toYamlDocuments(requests);
}

/** kubeconfig.yaml: the decoded `kubeconfig` of the BindingResponse. */
export function kubeconfigYaml(kubeconfigBase64: string): string {
  return textFromBase64(kubeconfigBase64);
}
