import { describe, expect, it } from 'vitest';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { APIServiceNamespace } from '../../../apis/kubebind/types.gen.ts';
import { ownerLabel } from '../../../apis/kubebind/wire.ts';
import { namespaceAction, type NamespaceAction } from './decide.ts';

const deleting = '2025-01-02T03:04:05Z';

const serviceNamespace = (
  owner: string | undefined,
  deletionTimestamp?: string,
): APIServiceNamespace => ({
  metadata: {
    name: 'default',
    namespace: 'kube-bind-abc',
    ...(owner && { labels: { [ownerLabel]: owner } }),
    ...(deletionTimestamp && { deletionTimestamp }),
  },
  status: { namespace: 'kube-bind-abc-default' },
});

const consumerNamespace = (deletionTimestamp?: string): Namespace => ({
  metadata: { name: 'default', ...(deletionTimestamp && { deletionTimestamp }) },
});

describe('namespaceAction', () => {
  it('uses the kube-bind.io/owner label', () => {
    expect(ownerLabel).toBe('kube-bind.io/owner');
  });

  // Pre-seeded by the provider: the consumer namespace follows it, is never re-created while it
  // terminates, and is never deleted here.
  it.each<[string, NamespaceAction, Namespace | undefined]>([
    ['missing', 'create-consumer-namespace', undefined],
    ['there', 'none', consumerNamespace()],
    ['terminating', 'none', consumerNamespace(deleting)],
  ])('provider-owned, consumer namespace %s → %s', (_, action, ns) => {
    expect(namespaceAction(serviceNamespace('provider'), ns)).toBe(action);
  });

  // Asked for by the konnector (no owner label, or any other value): it goes with the consumer
  // namespace, so the backend removes the provider namespace.
  it.each<[string, NamespaceAction, string | undefined, Namespace | undefined]>([
    ['unlabelled, consumer namespace missing', 'delete-service-namespace', undefined, undefined],
    [
      'unlabelled, consumer namespace terminating',
      'delete-service-namespace',
      undefined,
      consumerNamespace(deleting),
    ],
    ['unlabelled, consumer namespace there', 'none', undefined, consumerNamespace()],
    [
      'owner consumer, consumer namespace missing',
      'delete-service-namespace',
      'consumer',
      undefined,
    ],
    ['owner consumer, consumer namespace there', 'none', 'consumer', consumerNamespace()],
  ])('%s → %s', (_, action, owner, ns) => {
    expect(namespaceAction(serviceNamespace(owner), ns)).toBe(action);
  });

  it('does nothing for an APIServiceNamespace that is being deleted', () => {
    for (const owner of ['provider', undefined]) {
      expect(namespaceAction(serviceNamespace(owner, deleting), undefined)).toBe('none');
      expect(namespaceAction(serviceNamespace(owner, deleting), consumerNamespace())).toBe('none');
    }
  });
});
