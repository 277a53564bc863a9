// Which provider namespace may serve an APIServiceNamespace (docs/controllers.md §5.6), pure:
// the rules the servicenamespace controller creates by, and the serviceexportrequest and
// serviceexportrbac controllers check by before they place or grant anything in a namespace.
// Unlike upstream, a service namespace is only ever one that the backend created for that very
// APIServiceNamespace (it carries the `kube-bind.io/api-service-namespace` annotation naming it):
// an existing namespace is never adopted, and system namespaces are never used at all. Upstream
// adopts whatever exists under the computed name, so with isolation None a consumer that names
// `kube-system` got its claims granted there; and two consumers with the same namespace name
// shared one namespace.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Isolation } from '../../apis/kubebind/types.gen.ts';
import { apiServiceNamespaceAnnotation } from '../../apis/kubebind/wire.ts';

/** The provider namespace for a consumer namespace, before one is recorded in status. */
export function serviceNamespaceName(
  contractNs: string,
  consumerNs: string,
  isolation: Isolation,
): string {
  return isolation === 'None' ? consumerNs : `${contractNs}-${consumerNs}`;
}

/** `<contract-ns>/<apiservicenamespace-name>`: what a service namespace's annotation says. */
export const servingKey = (contractNs: string, name: string): string => `${contractNs}/${name}`;

const clusterNamespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * Namespaces that belong to the cluster itself and never serve a consumer, whether or not they
 * exist yet: `default` and every `kube-*` one (`kube-system`, `kube-public`, `kube-node-lease`,
 * and `kube-bind`, where the konnector and usually the backend live), except the consumer's own
 * prefixed ones (`<contract>-<name>`: a provider may choose a contract prefix like `kube-bind-`).
 * Anything else that exists is refused anyway unless it was created for the APIServiceNamespace.
 */
export function isSystemNamespace(name: string, contractNs: string): boolean {
  if (clusterNamespaces.has(name)) return true;
  return name.startsWith('kube-') && !name.startsWith(`${contractNs}-`);
}

/** The contract namespace of a serving key (`<contract>/<name>`). */
export const contractOf = (serving: string): string => serving.split('/')[0] ?? '';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `name` can name a namespace (a DNS-1123 label of at most 63 characters). */
export const isNamespaceName = (name: string): boolean => name.length <= 63 && dnsLabel.test(name);

export type TargetVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'InvalidNamespaceName' | 'SystemNamespace' | 'NamespaceTaken' | 'TooManyNamespaces';
      message: string;
    };

/**
 * Whether `target` may serve the APIServiceNamespace `serving` (`<contract>/<name>`), given the
 * namespace of that name if one exists.
 */
export function checkTarget(
  target: string,
  serving: string,
  existing: Namespace | undefined,
): TargetVerdict {
  if (!isNamespaceName(target)) {
    return {
      ok: false,
      reason: 'InvalidNamespaceName',
      message: `the service namespace for ${serving} would be named ${JSON.stringify(target.slice(0, 100))}, which is not a valid namespace name (a DNS-1123 label of at most 63 characters); use a shorter consumer namespace name`,
    };
  }
  if (isSystemNamespace(target, contractOf(serving))) {
    return {
      ok: false,
      reason: 'SystemNamespace',
      message: `the service namespace for ${serving} would be ${target}, a system namespace of the provider (default, kube-*); it is never used for a consumer`,
    };
  }
  const owner = existing?.metadata?.annotations?.[apiServiceNamespaceAnnotation];
  if (existing && owner !== serving) {
    return {
      ok: false,
      reason: 'NamespaceTaken',
      message: `namespace ${target} already exists on the provider and was not created for ${serving}${owner ? ` (it serves ${owner})` : ''}; an existing namespace is never adopted: use another consumer namespace name, or ask the provider to remove ${target}`,
    };
  }
  return { ok: true };
}

/**
 * Whether `ns` is the service namespace the backend created for the APIServiceNamespace `serving`
 * (`<contract>/<name>`): besides the contract namespace, the only kind of namespace in which a
 * consumer is granted anything.
 */
export function servesAPIServiceNamespace(ns: Namespace | undefined, serving: string): boolean {
  return (
    !!ns &&
    !isSystemNamespace(ns.metadata?.name ?? '', contractOf(serving)) &&
    ns.metadata?.annotations?.[apiServiceNamespaceAnnotation] === serving
  );
}
