// GET /api/bindable-resources (docs/protocol.md §3.8): the APIs a permission claim may name.
// Upstream serialises a Go struct without JSON tags, hence the capitalised field names.
import { claimableResources, type ClaimableResource } from '../../../apis/kubebind/wire.ts';

const claimable = (r: ClaimableResource) => ({
  Names: { plural: r.resource, singular: r.singular, kind: r.kind },
  GroupVersionResource: { Group: r.group, Version: r.version, Resource: r.resource },
  Instance: { metadata: { creationTimestamp: null } },
  ResourceScope: 'Namespaced',
  HasStatus: false,
});

export const claimableAPIs = claimableResources.map(claimable);
