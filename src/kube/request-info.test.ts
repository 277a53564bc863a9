import { describe, expect, it } from 'vitest';
import { describeRequest } from './request-info.ts';

describe('describeRequest', () => {
  it.each([
    ['GET', '/api/v1/namespaces', {}, 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/kube-system', {}, 'get', 'namespaces'],
    ['GET', '/api/v1/namespaces/ns/configmaps', { watch: 'true' }, 'watch', 'configmaps'],
    ['GET', '/api/v1/namespaces/ns/configmaps/a', {}, 'get', 'configmaps'],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/d/status', {}, 'update', 'deployments/status'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/ns/leases', {}, 'create', 'leases'],
    ['PATCH', '/apis/rbac.authorization.k8s.io/v1/clusterroles/x', {}, 'patch', 'clusterroles'],
    ['DELETE', '/api/v1/namespaces/ns/secrets', {}, 'deletecollection', 'secrets'],
    ['DELETE', '/api/v1/namespaces/ns/secrets/s', {}, 'delete', 'secrets'],
    [
      'GET',
      '/clusters/root:org/apis/kube-bind.io/v1alpha2/apiserviceexports',
      {},
      'list',
      'apiserviceexports',
    ],
    ['GET', '/clusters/*/api/v1/configmaps', { watch: 1 }, 'watch', 'configmaps'],
    ['GET', '/version', {}, 'get', ''],
    ['GET', '/apis/kube-bind.io/v1alpha2', {}, 'list', ''],
  ])('%s %s → %s %s', (method, path, query, verb, resource) => {
    expect(describeRequest(method, path, query)).toEqual({ verb, resource });
  });
});
