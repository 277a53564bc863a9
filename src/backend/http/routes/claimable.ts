// GET /api/bindable-resources (docs/protocol.md §3.8): the APIs a permission claim may name.
// Upstream serialises a Go struct without JSON tags, hence the capitalised field names.
const claimable = (plural: string, singular: string, kind: string) => ({
  Names: { plural, singular, kind },
  GroupVersionResource: { Group: '', Version: 'v1', Resource: plural },
  Instance: { metadata: { creationTimestamp: null } },
  ResourceScope: 'Namespaced',
  HasStatus: false,
});

export const claimableAPIs = [
  claimable('configmaps', 'configmap', 'ConfigMap'),
  claimable('secrets', 'secret', 'Secret'),
  claimable('serviceaccounts', 'serviceaccount', 'ServiceAccount'),
];
