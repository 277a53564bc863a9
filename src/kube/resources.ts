// The built-in resources this project reads and writes, typed with `kubernetes-types` (plain JSON
// shapes: timestamps are strings). Anything else goes through resourceType() at the call site.
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type {
  LocalSubjectAccessReview,
  SelfSubjectAccessReview,
  SubjectAccessReview,
} from 'kubernetes-types/authorization/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type {
  ConfigMap,
  Event,
  Namespace,
  Secret,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import type {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-types/rbac/v1.js';
import { resourceType } from './resource.ts';

const core = (resource: string, kind: string, namespaced: boolean) =>
  ({ group: '', version: 'v1', resource, kind, namespaced }) as const;
const rbac = (resource: string, kind: string, namespaced: boolean) =>
  ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, kind, namespaced }) as const;
const authz = (resource: string, kind: string, namespaced: boolean) =>
  ({ group: 'authorization.k8s.io', version: 'v1', resource, kind, namespaced }) as const;

export const Namespaces = resourceType<Namespace>(core('namespaces', 'Namespace', false));
export const ConfigMaps = resourceType<ConfigMap>(core('configmaps', 'ConfigMap', true));
export const Secrets = resourceType<Secret>(core('secrets', 'Secret', true));
export const ServiceAccounts = resourceType<ServiceAccount>(
  core('serviceaccounts', 'ServiceAccount', true),
);
export const Events = resourceType<Event>(core('events', 'Event', true));

export const Roles = resourceType<Role>(rbac('roles', 'Role', true));
export const RoleBindings = resourceType<RoleBinding>(rbac('rolebindings', 'RoleBinding', true));
export const ClusterRoles = resourceType<ClusterRole>(rbac('clusterroles', 'ClusterRole', false));
export const ClusterRoleBindings = resourceType<ClusterRoleBinding>(
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
);

export const CustomResourceDefinitions = resourceType<CustomResourceDefinition>({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
});

export const Leases = resourceType<Lease>({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
});

export const SubjectAccessReviews = resourceType<SubjectAccessReview>(
  authz('subjectaccessreviews', 'SubjectAccessReview', false),
);
export const SelfSubjectAccessReviews = resourceType<SelfSubjectAccessReview>(
  authz('selfsubjectaccessreviews', 'SelfSubjectAccessReview', false),
);
export const LocalSubjectAccessReviews = resourceType<LocalSubjectAccessReview>(
  authz('localsubjectaccessreviews', 'LocalSubjectAccessReview', true),
);

export const Deployments = resourceType<Deployment>({
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  namespaced: true,
});
