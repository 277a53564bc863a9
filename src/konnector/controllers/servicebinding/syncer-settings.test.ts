import { describe, expect, it } from 'vitest';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type {
  APIServiceExport,
  APIServiceNamespace,
  BoundSchema,
  Isolation,
} from '../../../apis/kubebind/types.gen.ts';
import { claimSyncSettings, resourceSyncSettings, syncerFingerprint } from './syncer-settings.ts';

const contract = 'kube-bind-abc';

const exportWith = (isolation: Isolation): APIServiceExport => ({
  metadata: { name: 'widgets', namespace: contract, uid: 'exp-uid' },
  spec: {
    resources: [{ group: 'example.com', resource: 'widgets', versions: ['v1'] }],
    informerScope: 'Namespaced',
    isolation,
  },
});

const boundSchema = (scope: 'Cluster' | 'Namespaced'): BoundSchema => ({
  metadata: { name: 'widgets.example.com', namespace: contract },
  spec: {
    informerScope: 'Namespaced',
    group: 'example.com',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    scope,
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {} } }],
  },
});

const crd = (statusSubresource: boolean): CustomResourceDefinition => ({
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', kind: 'Widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        ...(statusSubresource && { subresources: { status: {} } }),
      },
    ],
  },
});

const serviceNamespace = (name: string, providerNamespace: string): APIServiceNamespace => ({
  metadata: { name, namespace: contract },
  status: { namespace: providerNamespace },
});

describe('resourceSyncSettings', () => {
  it('syncs the BoundSchema version, with the status subresource when the CRD has it', () => {
    const settings = resourceSyncSettings(
      contract,
      'widgets',
      exportWith('Prefixed'),
      boundSchema('Namespaced'),
      crd(true),
      [serviceNamespace('default', `${contract}-default`)],
    );
    expect(settings.binding).toBe('widgets');
    expect(settings.export).toStrictEqual({ metadata: { name: 'widgets', uid: 'exp-uid' } });
    expect(settings.consumerType.version).toBe('v1');
    expect(settings.consumerStatusSubresource).toBe(true);
    expect(settings.scope).toStrictEqual({
      clusterWide: false,
      namespaces: [contract, `${contract}-default`],
    });
    expect(settings.claim).toBeUndefined();
  });

  it('places a cluster-scoped resource in the contract namespace with isolation Namespaced', () => {
    const settings = resourceSyncSettings(
      contract,
      'widgets',
      exportWith('Namespaced'),
      boundSchema('Cluster'),
      crd(false),
      [],
    );
    expect(settings.consumerType.namespaced).toBe(false);
    expect(settings.providerType.namespaced).toBe(true);
    expect(settings.placement.strategy).toBe('ContractNamespaced');
    expect(settings.consumerStatusSubresource).toBe(false);
  });
});

describe('claimSyncSettings', () => {
  it('watches the service namespaces only, never the contract namespace', () => {
    const settings = claimSyncSettings(
      contract,
      'widgets',
      exportWith('Prefixed'),
      { group: '', resource: 'secrets', selector: { namedResources: [{ name: 'creds' }] } },
      [serviceNamespace('default', `${contract}-default`)],
    );
    expect(settings.consumerType.kind).toBe('Secret');
    expect(settings.scope).toStrictEqual({
      clusterWide: false,
      namespaces: [`${contract}-default`],
    });
    expect(settings.claim?.selector).toStrictEqual({ namedResources: [{ name: 'creds' }] });
  });
});

describe('syncerFingerprint', () => {
  const settings = resourceSyncSettings(
    contract,
    'widgets',
    exportWith('Prefixed'),
    boundSchema('Namespaced'),
    crd(false),
    [],
  );

  it('changes with the watched namespaces, so the syncer restarts', () => {
    const more = resourceSyncSettings(
      contract,
      'widgets',
      exportWith('Prefixed'),
      boundSchema('Namespaced'),
      crd(false),
      [serviceNamespace('default', `${contract}-default`)],
    );
    expect(syncerFingerprint(more)).not.toBe(syncerFingerprint(settings));
  });

  it("names a claim's selector, and nothing of a claim for a bound resource", () => {
    expect(JSON.parse(syncerFingerprint(settings))).not.toHaveProperty('claim');
    const claim = claimSyncSettings(
      contract,
      'widgets',
      exportWith('Prefixed'),
      { group: '', resource: 'secrets', selector: { namedResources: [{ name: 'creds' }] } },
      [],
    );
    expect(JSON.parse(syncerFingerprint(claim))).toHaveProperty('claim');
  });
});
