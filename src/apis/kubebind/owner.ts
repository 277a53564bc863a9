// Who owns an object that both sides hold (docs/controllers.md §1.7): upstream's label, written
// on pre-seeded APIServiceNamespaces by the backend and on claimed objects by the konnector, and
// read by the backend's admission policy. One definition for every place that says it.

/** The label; its values are `Owner`. */
export const ownerLabel = 'kube-bind.io/owner';

export type Owner = 'provider' | 'consumer';
