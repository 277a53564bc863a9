// The bundle controller's decision, pure: one APIServiceBinding per APIServiceExport of the
// provider namespace, named like the export and controlled by the bundle; owned bindings whose
// export is gone are deleted; bindings of that name the bundle does not own are left alone.
import {
  kubeBindAPIVersion,
  type APIServiceBinding,
  type APIServiceBindingBundle,
  type APIServiceExport,
} from '../../../apis/kubebind/types.gen.ts';
import { controllerRefTo } from '../../../apis/kubebind/owner.ts';

export interface BundlePlan {
  create: APIServiceBinding[];
  delete: string[];
  /** Export names whose binding exists but belongs to someone else. */
  foreign: string[];
}

export function ownedByBundle(
  binding: APIServiceBinding,
  bundle: APIServiceBindingBundle,
): boolean {
  return (binding.metadata?.ownerReferences ?? []).some(
    (r) => r.kind === 'APIServiceBindingBundle' && r.uid === bundle.metadata?.uid,
  );
}

export function planBundle(
  bundle: APIServiceBindingBundle,
  exports: readonly APIServiceExport[],
  bindings: readonly APIServiceBinding[],
): BundlePlan {
  const byName = new Map(bindings.map((b) => [b.metadata?.name ?? '', b]));
  const exportNames = new Set(exports.map((e) => e.metadata?.name ?? '').filter(Boolean));
  const plan: BundlePlan = { create: [], delete: [], foreign: [] };
  for (const name of [...exportNames].sort()) {
    const existing = byName.get(name);
    if (!existing) plan.create.push(bindingFor(bundle, name));
    else if (!ownedByBundle(existing, bundle)) plan.foreign.push(name);
  }
  for (const b of bindings) {
    const name = b.metadata?.name ?? '';
    if (ownedByBundle(b, bundle) && !exportNames.has(name) && !b.metadata?.deletionTimestamp) {
      plan.delete.push(name);
    }
  }
  plan.delete.sort();
  return plan;
}

function bindingFor(bundle: APIServiceBindingBundle, name: string): APIServiceBinding {
  return {
    apiVersion: kubeBindAPIVersion,
    kind: 'APIServiceBinding',
    metadata: {
      name,
      ownerReferences: [controllerRefTo('APIServiceBindingBundle', bundle)],
    },
    ...(bundle.spec && { spec: { kubeconfigSecretRef: { ...bundle.spec.kubeconfigSecretRef } } }),
  };
}
