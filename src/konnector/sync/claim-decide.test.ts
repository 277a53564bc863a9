import { describe, expect, it } from 'vitest';
import { ownerLabel } from '../../apis/kubebind/wire.ts';
import {
  claimCopy,
  claimOwner,
  copyProvenance,
  decideClaim,
  decideRelease,
  type ClaimAction,
  type ClaimState,
} from './claim-decide.ts';
import type { SyncObject } from './decide.ts';

const contract = 'kube-bind-abc';
const consumerNamespace = 'wild-west';
const providerNamespace = `${contract}-wild-west`;

const secret = (
  namespace: string,
  uid: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
  data: Record<string, string> = { k: 'djE=' },
): SyncObject => ({
  metadata: {
    name: 'colt',
    namespace,
    uid,
    resourceVersion: '1',
    ...(extra.labels && { labels: extra.labels }),
    ...(extra.annotations && { annotations: extra.annotations }),
  },
  type: 'Opaque',
  data,
});

const state = (s: Partial<ClaimState>): ClaimState => ({
  contractNamespace: contract,
  consumerNamespace,
  providerNamespace,
  apiVersion: 'v1',
  kind: 'Secret',
  consumerSelected: true,
  providerSelected: true,
  ...s,
});

/** Applies an action to the state the way the API servers would (new UIDs on create). */
function apply(s: ClaimState, a: ClaimAction, uid: string): ClaimState {
  if (a.action === 'none' || a.action === 'conflict') return s;
  const key = a.side === 'consumer' ? 'consumer' : 'provider';
  if (a.action === 'delete') return { ...s, [key]: undefined };
  const obj = { ...a.object, metadata: { ...a.object.metadata } };
  if (a.action === 'create') obj.metadata = { ...obj.metadata, uid };
  return { ...s, [key]: obj };
}

/** Runs decisions until nothing is left to do; returns the settled state and the actions. */
function settle(s: ClaimState): { state: ClaimState; actions: ClaimAction[] } {
  const actions: ClaimAction[] = [];
  for (let i = 0; i < 10; i++) {
    const a = decideClaim(s);
    if (a.action === 'none' || a.action === 'conflict') return { state: s, actions };
    actions.push(a);
    s = apply(s, a, `uid-${i}`);
  }
  throw new Error('did not settle');
}

describe('claimOwner', () => {
  const cases: [string, Partial<ClaimState>, ReturnType<typeof claimOwner>][] = [
    ['nothing', {}, undefined],
    ['only on the provider', { provider: secret(providerNamespace, 'p') }, 'provider'],
    [
      'only on the provider, labelled consumer (a copy whose original is gone)',
      { provider: secret(providerNamespace, 'p', { labels: { [ownerLabel]: 'consumer' } }) },
      'consumer',
    ],
    ['only on the consumer', { consumer: secret(consumerNamespace, 'c') }, 'consumer'],
    [
      'only on the consumer, labelled provider',
      { consumer: secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'provider' } }) },
      'provider',
    ],
    [
      'both, unrelated and unlabelled',
      { consumer: secret(consumerNamespace, 'c'), provider: secret(providerNamespace, 'p') },
      'conflict',
    ],
    [
      'both, unrelated: the provider label first (upstream)',
      {
        consumer: secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'consumer' } }),
        provider: secret(providerNamespace, 'p', { labels: { [ownerLabel]: 'provider' } }),
      },
      'provider',
    ],
    [
      'both, unrelated: an unlabelled provider object is not the consumer’s to take',
      {
        consumer: secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'consumer' } }),
        provider: secret(providerNamespace, 'p'),
      },
      'conflict',
    ],
    [
      'both, unrelated: the consumer may give its object to the provider',
      {
        consumer: secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'provider' } }),
        provider: secret(providerNamespace, 'p'),
      },
      'provider',
    ],
    [
      'another consumer’s copy (isolation None) next to ours: a conflict',
      {
        consumer: secret(consumerNamespace, 'c'),
        provider: secret(providerNamespace, 'p', {
          labels: { [ownerLabel]: 'consumer' },
          annotations: {
            'kube-bind.io/cluster-namespace': 'someone-else',
            'kube-bind.io/consumer-uid': 'x',
          },
        }),
      },
      'conflict',
    ],
    [
      'another consumer’s copy alone: not ours at all',
      {
        provider: secret(providerNamespace, 'p', {
          labels: { [ownerLabel]: 'consumer' },
          annotations: {
            'kube-bind.io/cluster-namespace': 'someone-else',
            'kube-bind.io/consumer-uid': 'x',
          },
        }),
      },
      undefined,
    ],
    [
      'consumer copy relabelled consumer: the original decides',
      {
        consumer: secret(consumerNamespace, 'c', {
          labels: { [ownerLabel]: 'consumer' },
          annotations: { 'kube-bind.io/provider-uid': 'p' },
        }),
        provider: secret(providerNamespace, 'p'),
      },
      'provider',
    ],
    [
      'provider copy relabelled provider: the original decides',
      {
        consumer: secret(consumerNamespace, 'c'),
        provider: secret(providerNamespace, 'p', {
          labels: { [ownerLabel]: 'provider' },
          annotations: {
            'kube-bind.io/cluster-namespace': contract,
            'kube-bind.io/consumer-uid': 'c',
          },
        }),
      },
      'consumer',
    ],
    [
      'an object with another contract namespace’s provenance is not ours to take',
      {
        consumer: secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'consumer' } }),
        provider: secret(providerNamespace, 'p', {
          labels: { [ownerLabel]: 'provider' },
          annotations: {
            'kube-bind.io/cluster-namespace': 'someone-else',
            'kube-bind.io/consumer-uid': 'c',
          },
        }),
      },
      'conflict',
    ],
  ];
  it.each(cases)('%s', (_, s, want) => {
    expect(claimOwner(state(s))).toBe(want);
  });
});

describe('decideClaim', () => {
  it('copies a provider-owned object to the consumer namespace, labelled and with provenance', () => {
    const p = secret(providerNamespace, 'p', {
      labels: { app: 'db' },
      annotations: { note: 'x', 'kube-bind.io/consumer-uid': 'stale' },
    });
    const a = decideClaim(state({ provider: p }));
    expect(a).toEqual({
      action: 'create',
      side: 'consumer',
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'colt',
          namespace: consumerNamespace,
          labels: { app: 'db', [ownerLabel]: 'provider' },
          annotations: {
            note: 'x',
            'kube-bind.io/provider-namespace': providerNamespace,
            'kube-bind.io/provider-uid': 'p',
          },
        },
        type: 'Opaque',
        data: { k: 'djE=' },
      },
    });
  });

  it('copies a consumer-owned object to the provider namespace (today’s direction)', () => {
    const a = decideClaim(state({ consumer: secret(consumerNamespace, 'c') }));
    expect(a).toMatchObject({
      action: 'create',
      side: 'provider',
      object: {
        metadata: {
          namespace: providerNamespace,
          labels: { [ownerLabel]: 'consumer' },
          annotations: {
            'kube-bind.io/cluster-namespace': contract,
            'kube-bind.io/consumer-namespace': consumerNamespace,
            'kube-bind.io/consumer-uid': 'c',
          },
        },
      },
    });
  });

  it('copies nothing the claim does not select', () => {
    expect(
      decideClaim(state({ provider: secret(providerNamespace, 'p'), providerSelected: false })),
    ).toEqual({ action: 'none' });
    expect(
      decideClaim(state({ consumer: secret(consumerNamespace, 'c'), consumerSelected: false })),
    ).toEqual({ action: 'none' });
  });

  it('follows the owner: updates overwrite the copy, edits of the copy are undone', () => {
    const settled = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    const changed = { ...settled, provider: secret(providerNamespace, 'p', {}, { k: 'djI=' }) };
    const a = decideClaim(changed);
    expect(a).toMatchObject({
      action: 'update',
      side: 'consumer',
      object: { data: { k: 'djI=' } },
    });
    // The consumer edits its copy's data and labels: overwritten, uid and resourceVersion kept.
    const copy = settled.consumer ?? {};
    const edited = {
      ...settled,
      consumer: {
        ...copy,
        metadata: { ...copy.metadata, labels: { [ownerLabel]: 'consumer', mine: 'yes' } },
        data: { k: 'ZWRpdA==' },
      },
    };
    const undo = decideClaim(edited);
    expect(undo).toMatchObject({
      action: 'update',
      side: 'consumer',
      object: {
        metadata: { uid: copy.metadata?.uid, labels: { [ownerLabel]: 'provider' } },
        data: { k: 'djE=' },
      },
    });
    expect(decideClaim(apply(edited, undo, 'x'))).toEqual({ action: 'none' });
  });

  it('deletes the copy when the original goes, or is no longer selected', () => {
    const settled = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    const copyUID = settled.consumer?.metadata?.uid ?? '';
    expect(decideClaim({ ...settled, provider: undefined })).toEqual({
      action: 'delete',
      side: 'consumer',
      name: 'colt',
      uid: copyUID,
    });
    expect(decideClaim({ ...settled, providerSelected: false })).toMatchObject({
      action: 'delete',
      side: 'consumer',
    });
    const deletingOriginal = {
      ...settled,
      provider: {
        ...settled.provider,
        metadata: { ...settled.provider?.metadata, deletionTimestamp: 'now' },
      },
    };
    expect(decideClaim(deletingOriginal)).toMatchObject({ action: 'delete', side: 'consumer' });

    const consumerOwned = settle(state({ consumer: secret(consumerNamespace, 'c') })).state;
    expect(decideClaim({ ...consumerOwned, consumer: undefined })).toMatchObject({
      action: 'delete',
      side: 'provider',
      uid: consumerOwned.provider?.metadata?.uid,
    });
  });

  it('never deletes a lone object that only its label says is a copy', () => {
    const labelled = secret(consumerNamespace, 'c', { labels: { [ownerLabel]: 'provider' } });
    expect(decideClaim(state({ consumer: labelled }))).toEqual({ action: 'none' });
    const labelledP = secret(providerNamespace, 'p', { labels: { [ownerLabel]: 'consumer' } });
    expect(decideClaim(state({ provider: labelledP }))).toEqual({ action: 'none' });
  });

  it('recreates a copy deleted on its side', () => {
    const settled = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    expect(decideClaim({ ...settled, consumer: undefined })).toMatchObject({
      action: 'create',
      side: 'consumer',
    });
  });

  it('transfers ownership provider → consumer when the provider relabels its object', () => {
    const settled = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    const p = settled.provider ?? {};
    const relabelled = {
      ...settled,
      provider: { ...p, metadata: { ...p.metadata, labels: { [ownerLabel]: 'consumer' } } },
    };
    const { state: after, actions } = settle(relabelled);
    // First the copy becomes the original, then the provider object becomes its copy.
    expect(actions.map((a) => `${a.action} ${'side' in a ? a.side : ''}`)).toEqual([
      'update consumer',
      'update provider',
    ]);
    expect(after.consumer?.metadata?.labels).toEqual({ [ownerLabel]: 'consumer' });
    expect(Object.keys(after.consumer?.metadata?.annotations ?? {})).toEqual([]);
    expect(after.provider?.metadata?.annotations).toMatchObject({
      'kube-bind.io/consumer-uid': after.consumer?.metadata?.uid,
    });
    expect(claimOwner(after)).toBe('consumer');
    // Now the consumer's changes travel, and its deletion removes the provider copy.
    expect(
      decideClaim({ ...after, consumer: { ...after.consumer, data: { k: 'bmV3' } } }),
    ).toMatchObject({ action: 'update', side: 'provider', object: { data: { k: 'bmV3' } } });
    expect(decideClaim({ ...after, consumer: undefined })).toMatchObject({
      action: 'delete',
      side: 'provider',
    });
  });

  it('transfers ownership consumer → provider when the consumer relabels its object', () => {
    const settled = settle(state({ consumer: secret(consumerNamespace, 'c') })).state;
    const c = settled.consumer ?? {};
    const relabelled = {
      ...settled,
      consumer: { ...c, metadata: { ...c.metadata, labels: { [ownerLabel]: 'provider' } } },
    };
    const { state: after, actions } = settle(relabelled);
    expect(actions.map((a) => `${a.action} ${'side' in a ? a.side : ''}`)).toEqual([
      'update provider',
      'update consumer',
    ]);
    expect(after.provider?.metadata?.labels).toEqual({ [ownerLabel]: 'provider' });
    expect(after.provider?.metadata?.annotations).toEqual({});
    expect(after.consumer?.metadata?.annotations).toEqual({
      'kube-bind.io/provider-namespace': providerNamespace,
      'kube-bind.io/provider-uid': after.provider?.metadata?.uid,
    });
    expect(claimOwner(after)).toBe('provider');
  });

  it('a copy relabelled on the other side does not take ownership', () => {
    const settled = settle(state({ consumer: secret(consumerNamespace, 'c') })).state;
    const p = settled.provider ?? {};
    const a = decideClaim({
      ...settled,
      provider: { ...p, metadata: { ...p.metadata, labels: { [ownerLabel]: 'provider' } } },
    });
    expect(a).toMatchObject({
      action: 'update',
      side: 'provider',
      object: { metadata: { labels: { [ownerLabel]: 'consumer' } } },
    });
  });

  it('leaves two unrelated unlabelled objects alone (a conflict)', () => {
    expect(
      decideClaim(
        state({
          consumer: secret(consumerNamespace, 'c'),
          provider: secret(providerNamespace, 'p'),
        }),
      ),
    ).toEqual({ action: 'conflict' });
    expect(
      decideClaim(
        state({
          consumer: secret(consumerNamespace, 'c'),
          provider: secret(providerNamespace, 'p'),
          consumerSelected: false,
          providerSelected: false,
        }),
      ),
    ).toEqual({ action: 'none' });
  });

  it('recreates a copy it cannot update: immutable, or a Secret of another type', () => {
    const immutable = (uid: string, data: Record<string, string>) => ({
      ...secret(providerNamespace, uid, {}, data),
      immutable: true,
    });
    const settled = settle(state({ provider: immutable('p', { k: 'djE=' }) })).state;
    expect(settled.consumer?.['immutable']).toBe(true);
    // The provider replaces its immutable secret (a new object, new data).
    const replaced = { ...settled, provider: immutable('p2', { k: 'djI=' }) };
    expect(decideClaim(replaced)).toMatchObject({ action: 'delete', side: 'consumer' });
    const { state: after } = settle(replaced);
    expect(after.consumer?.['data']).toEqual({ k: 'djI=' });
    expect(after.consumer?.metadata?.annotations?.['kube-bind.io/provider-uid']).toBe('p2');

    const retyped = {
      ...settled,
      provider: { ...secret(providerNamespace, 'p'), type: 'kubernetes.io/basic-auth' },
    };
    expect(decideClaim(retyped)).toMatchObject({ action: 'delete', side: 'consumer' });
  });

  it('waits while the copy is being deleted', () => {
    const settled = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    const c = settled.consumer ?? {};
    expect(
      decideClaim({
        ...settled,
        provider: secret(providerNamespace, 'p', {}, { k: 'djI=' }),
        consumer: { ...c, metadata: { ...c.metadata, deletionTimestamp: 'now' } },
      }),
    ).toEqual({ action: 'none' });
  });
});

describe('decideRelease', () => {
  it('deletes the copy on the side that does not own it, never an original', () => {
    const providerOwned = settle(state({ provider: secret(providerNamespace, 'p') })).state;
    expect(decideRelease(providerOwned)).toMatchObject({ action: 'delete', side: 'consumer' });
    const consumerOwned = settle(state({ consumer: secret(consumerNamespace, 'c') })).state;
    expect(decideRelease(consumerOwned)).toMatchObject({ action: 'delete', side: 'provider' });
    expect(decideRelease(state({ provider: secret(providerNamespace, 'p') }))).toEqual({
      action: 'none',
    });
    expect(decideRelease(state({ consumer: secret(consumerNamespace, 'c') }))).toEqual({
      action: 'none',
    });
  });
});

describe('claimCopy', () => {
  it('carries no provenance of the side it is copied to', () => {
    const c = secret(consumerNamespace, 'c', {
      annotations: { 'kube-bind.io/provider-uid': 'old', 'kube-bind.io/provider-namespace': 'x' },
    });
    const copy = claimCopy(state({ consumer: c }), c, 'consumer');
    expect(Object.keys(copy.metadata?.annotations ?? {}).sort()).toEqual(
      [...copyProvenance.provider].sort(),
    );
  });
});
