import { describe, expect, it } from 'vitest';
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionStatus,
} from 'kubernetes-types/apiextensions/v1.js';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import type {
  APIServiceBinding,
  APIServiceExport,
  APIServiceExportRequest,
  BoundSchema,
  BoundSchemaSpec,
  ClusterBinding,
  RequestPhase,
} from '../../../apis/kubebind/types.gen.ts';
import { bindingFinalizer, boundSchemaHashAnnotation } from '../../../apis/kubebind/wire.ts';
import {
  bindingConditions,
  bindingState,
  bindingStatus,
  boundSchemaHash,
  boundSchemaStatus,
  consumerCRD,
  crdEstablished,
  crdOwnedBy,
  crdUpdate,
  crdWriteError,
  decideBinding,
  decideClaim,
  decideCRD,
  exportConditions,
  exportConditionsUpdate,
  exportMissing,
  staleSyncers,
  stillSettling,
  syncVersion,
  type BindingState,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';
// Milliseconds on purpose: condition times are truncated to whole seconds.
const now = Date.parse('2025-01-02T03:04:05.678Z');
const t0 = '2025-01-02T03:04:05Z';
const later = now + 60_000;
const t1 = '2025-01-02T03:05:05Z';

const version = (name: string, served: boolean, storage: boolean) => ({
  name,
  served,
  storage,
  schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
});

const widgets: BoundSchemaSpec = {
  informerScope: 'Namespaced',
  group: 'example.com',
  names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
  scope: 'Namespaced',
  versions: [version('v1', true, true)],
};

const boundSchema = (spec: BoundSchemaSpec = widgets): BoundSchema => ({
  metadata: { name: 'widgets.example.com', namespace: contract, uid: 'bs-uid' },
  spec,
});

/** A BoundSchema the backend has not filled in. */
const withoutSpec: BoundSchema = { metadata: { name: 'widgets.example.com', namespace: contract } };

const binding: APIServiceBinding = {
  metadata: { name: 'widgets', uid: 'b-uid' },
  spec: {
    kubeconfigSecretRef: { namespace: 'kube-bind', name: 'kubeconfig-abc', key: 'kubeconfig' },
  },
};

/** The CRD as the API server returns it: with server metadata and someone else's annotation. */
const liveCRD = (desired: CustomResourceDefinition): CustomResourceDefinition => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    uid: 'crd-uid',
    resourceVersion: '5',
    labels: { team: 'a' },
    annotations: { ...desired.metadata?.annotations, 'other.io/note': 'keep' },
  },
});

const established: CustomResourceDefinitionStatus = {
  conditions: [
    { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
    { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'accepted' },
  ],
  acceptedNames: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
  storedVersions: ['v1'],
};

const crdWith = (status: CustomResourceDefinitionStatus | undefined): CustomResourceDefinition => ({
  ...consumerCRD(boundSchema(), binding),
  ...(status && { status }),
});

const cond = (type: string, status: string, time: string, rest: Partial<Condition> = {}) => ({
  type,
  status,
  ...(rest.severity && { severity: rest.severity }),
  lastTransitionTime: time,
  ...(rest.reason && { reason: rest.reason }),
  ...(rest.message && { message: rest.message }),
});

// --- tests ------------------------------------------------------------------------------------

describe('consumerCRD', () => {
  it('is the BoundSchema as a CRD, controlled by the binding and stamped with the spec hash', () => {
    const crd = consumerCRD(boundSchema(), binding);
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata).toStrictEqual({
      name: 'widgets.example.com',
      annotations: { [boundSchemaHashAnnotation]: boundSchemaHash(boundSchema()) },
      ownerReferences: [
        {
          apiVersion: 'kube-bind.io/v1alpha2',
          kind: 'APIServiceBinding',
          name: 'widgets',
          uid: 'b-uid',
          controller: true,
        },
      ],
    });
    expect(crd.spec.group).toBe('example.com');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('Widget');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1', true, true],
    ]);
  });

  it('refuses a BoundSchema without spec', () => {
    expect(() => consumerCRD(withoutSpec, binding)).toThrow(
      'BoundSchema widgets.example.com has no spec',
    );
  });
});

describe('boundSchemaHash', () => {
  it('is 32 hex digits of the spec alone', () => {
    const hash = boundSchemaHash(boundSchema());
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const renamed: BoundSchema = {
      ...boundSchema(),
      metadata: { name: 'other', uid: 'x' },
      status: { storedVersions: ['v1'] },
    };
    expect(boundSchemaHash(renamed)).toBe(hash);
  });

  it('changes with the spec', () => {
    const v2 = { ...widgets, versions: [...widgets.versions, version('v2', true, false)] };
    expect(boundSchemaHash(boundSchema(v2))).not.toBe(boundSchemaHash(boundSchema()));
  });
});

describe('crdOwnedBy', () => {
  const crd = consumerCRD(boundSchema(), binding);
  const withOwner = (ref: Record<string, unknown>): CustomResourceDefinition => ({
    ...crd,
    metadata: {
      name: 'widgets.example.com',
      ownerReferences: [
        {
          apiVersion: 'kube-bind.io/v1alpha2',
          kind: 'APIServiceBinding',
          name: 'widgets',
          uid: 'b-uid',
          ...ref,
        },
      ],
    },
  });

  it('is true for the CRD installed for this binding', () => {
    expect(crdOwnedBy(crd, binding)).toBe(true);
    // Another API version of kube-bind.io still names the same binding.
    expect(crdOwnedBy(withOwner({ apiVersion: 'kube-bind.io/v1alpha1' }), binding)).toBe(true);
  });

  it.each([
    ['a re-created binding of the same name', { uid: 'old-uid' }],
    ['another binding', { name: 'gadgets' }],
    ['another kind', { kind: 'APIServiceExport' }],
    ['another API group', { apiVersion: 'example.com/v1' }],
  ])('is false for a CRD of %s', (_, ref) => {
    expect(crdOwnedBy(withOwner(ref), binding)).toBe(false);
  });

  it('is false for a CRD without owners', () => {
    expect(crdOwnedBy({ ...crd, metadata: { name: 'widgets.example.com' } }, binding)).toBe(false);
  });
});

describe('crdUpdate', () => {
  const desired = consumerCRD(boundSchema(), binding);

  it('is undefined when the live CRD was made from the same spec', () => {
    expect(crdUpdate(liveCRD(desired), desired)).toBeUndefined();
  });

  it('goes by the hash alone: a hand-edited CRD with the current hash is left alone', () => {
    const edited = liveCRD(desired);
    edited.spec = { ...edited.spec, names: { ...edited.spec.names, shortNames: ['wd'] } };
    expect(crdUpdate(edited, desired)).toBeUndefined();
  });

  it('takes the new spec and owner, keeping server metadata, labels and other annotations', () => {
    const v2 = { ...widgets, versions: [version('v1', true, false), version('v2', true, true)] };
    const next = consumerCRD(boundSchema(v2), binding);
    // Installed by an older konnector that wrote another API version in the owner reference.
    const live = liveCRD(desired);
    live.metadata = {
      ...live.metadata,
      ownerReferences: [
        {
          apiVersion: 'kube-bind.io/v1alpha1',
          kind: 'APIServiceBinding',
          name: 'widgets',
          uid: 'b-uid',
        },
      ],
    };
    const update = crdUpdate(live, next);

    expect(update?.spec).toStrictEqual(next.spec);
    expect(update?.metadata).toStrictEqual({
      name: 'widgets.example.com',
      uid: 'crd-uid',
      resourceVersion: '5',
      labels: { team: 'a' },
      annotations: {
        [boundSchemaHashAnnotation]: boundSchemaHash(boundSchema(v2)),
        'other.io/note': 'keep',
      },
      ownerReferences: next.metadata?.ownerReferences,
    });
  });
});

describe('crdEstablished', () => {
  const withConditions = (...c: [string, string][]) =>
    crdWith({ conditions: c.map(([type, status]) => ({ type, status })) });

  it('needs Established and NamesAccepted both True', () => {
    expect(crdEstablished(crdWith(established))).toBe(true);
    expect(crdEstablished(withConditions(['Established', 'True']))).toBe(false);
    expect(crdEstablished(withConditions(['NamesAccepted', 'True']))).toBe(false);
    expect(
      crdEstablished(withConditions(['Established', 'True'], ['NamesAccepted', 'False'])),
    ).toBe(false);
  });

  it('is false for a missing CRD or one without status', () => {
    expect(crdEstablished(undefined)).toBe(false);
    expect(crdEstablished(crdWith(undefined))).toBe(false);
  });
});

describe('boundSchemaStatus', () => {
  it("reports an established CRD's conditions, names and stored versions with Ready", () => {
    expect(boundSchemaStatus(boundSchema(), crdWith(established), now)).toStrictEqual({
      conditions: [
        cond('Ready', 'True', t0),
        cond('Established', 'True', t0),
        cond('NamesAccepted', 'True', t0),
      ],
      acceptedNames: established.acceptedNames,
      storedVersions: ['v1'],
    });
  });

  it('is undefined when the BoundSchema already says so', () => {
    const status = boundSchemaStatus(boundSchema(), crdWith(established), now);
    expect(status).toBeDefined();
    const bs: BoundSchema = { ...boundSchema(), ...(status && { status }) };
    expect(boundSchemaStatus(bs, crdWith(established), later)).toBeUndefined();
  });

  it('reports a condition that is not True as an Error, and Ready with it', () => {
    const first = boundSchemaStatus(boundSchema(), crdWith(established), now);
    const bs: BoundSchema = { ...boundSchema(), ...(first && { status: first }) };
    const conflict: CustomResourceDefinitionStatus = {
      ...established,
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'False',
          reason: 'NameConflict',
          message: '"widgets" is already in use',
        },
        { type: 'Established', status: 'True' },
      ],
    };
    const error = {
      severity: 'Error',
      reason: 'NameConflict',
      message: '"widgets" is already in use',
    };
    expect(boundSchemaStatus(bs, crdWith(conflict), later)?.conditions).toStrictEqual([
      cond('Ready', 'False', t1, error),
      cond('Established', 'True', t0),
      cond('NamesAccepted', 'False', t1, error),
    ]);
  });

  it('treats an Unknown CRD condition as not True', () => {
    const pending: CustomResourceDefinitionStatus = {
      conditions: [{ type: 'Established', status: 'Unknown', reason: 'Installing' }],
    };
    expect(boundSchemaStatus(boundSchema(), crdWith(pending), now)?.conditions).toStrictEqual([
      cond('Ready', 'False', t0, { severity: 'Error', reason: 'Installing' }),
      cond('Established', 'False', t0, { severity: 'Error', reason: 'Installing' }),
    ]);
  });

  it("ignores a CRD's own Ready: Ready is the summary and keeps its transition time", () => {
    const first = boundSchemaStatus(boundSchema(), crdWith(established), now);
    const bs: BoundSchema = { ...boundSchema(), ...(first && { status: first }) };
    const withReady: CustomResourceDefinitionStatus = {
      ...established,
      conditions: [...(established.conditions ?? []), { type: 'Ready', status: 'False' }],
    };
    expect(boundSchemaStatus(bs, crdWith(withReady), later)).toBeUndefined();
  });

  it('keeps the other status fields', () => {
    const bs: BoundSchema = { ...boundSchema(), status: { instantiations: 3 } };
    expect(boundSchemaStatus(bs, crdWith(established), now)?.instantiations).toBe(3);
  });
});

describe('syncVersion', () => {
  const withVersions = (...versions: ReturnType<typeof version>[]) =>
    boundSchema({ ...widgets, versions });

  it('prefers the served storage version', () => {
    expect(syncVersion(withVersions(version('v1', true, false), version('v2', true, true)))).toBe(
      'v2',
    );
  });

  it('falls back to the first served version when storage is not served', () => {
    expect(
      syncVersion(
        withVersions(
          version('v1', false, true),
          version('v2', true, false),
          version('v3', true, false),
        ),
      ),
    ).toBe('v2');
  });

  it('is undefined when nothing is served or there is no spec', () => {
    expect(syncVersion(withVersions(version('v1', false, true)))).toBeUndefined();
    expect(syncVersion(withoutSpec)).toBeUndefined();
  });
});

describe('bindingConditions', () => {
  const good: BindingState = {
    crdErrors: [],
    schemasPending: [],
    informersSynced: true,
    heartbeating: true,
  };

  it('is Ready when everything is in place', () => {
    expect(bindingConditions([], good, now)).toStrictEqual([
      cond('Ready', 'True', t0),
      cond('Connected', 'True', t0),
      cond('Heartbeating', 'True', t0),
      cond('InformersSynced', 'True', t0),
      cond('SchemaInSync', 'True', t0),
      cond('SecretValid', 'True', t0),
    ]);
  });

  it('keeps transition times while nothing changes', () => {
    const first = bindingConditions([], good, now);
    expect(bindingConditions(first, good, later)).toStrictEqual(first);
  });

  it('reports a missing export as not Connected and waits for the schemas', () => {
    const c = bindingConditions([], { ...good, exportMissing: {} }, now);
    const notFound = {
      severity: 'Error',
      reason: 'APIServiceExportNotFound',
      message:
        'APIServiceExport not found on the service provider cluster. Rerun kubectl bind for repair.',
    };
    expect(c).toStrictEqual([
      cond('Ready', 'False', t0, notFound),
      cond('Connected', 'False', t0, notFound),
      cond('Heartbeating', 'True', t0),
      cond('InformersSynced', 'True', t0),
      cond('SchemaInSync', 'False', t0, {
        severity: 'Info',
        reason: 'SchemaPending',
        message: 'Waiting for the APIServiceExport.',
      }),
      cond('SecretValid', 'True', t0),
    ]);
  });

  it("surfaces a failed export request's terminal message in Connected and Ready", () => {
    const message = 'resource "gadgets.example.com" is not exported';
    const c = bindingConditions([], { ...good, exportMissing: { failedMessage: message } }, now);
    const failed = { severity: 'Error', reason: 'APIServiceExportFailed', message };
    expect(c.find((x) => x.type === 'Connected')).toStrictEqual(
      cond('Connected', 'False', t0, failed),
    );
    expect(c[0]).toStrictEqual(cond('Ready', 'False', t0, failed));
  });

  it('reports CRD errors in Connected: the first reason, every message', () => {
    const state: BindingState = {
      ...good,
      crdErrors: [
        { reason: 'ForeignCustomResourceDefinition', message: 'widgets.example.com is foreign' },
        { reason: 'CustomResourceDefinitionCreateFailed', message: 'gadgets.example.com: invalid' },
      ],
    };
    const foreign = {
      severity: 'Error',
      reason: 'ForeignCustomResourceDefinition',
      message: 'widgets.example.com is foreign; gadgets.example.com: invalid',
    };
    const c = bindingConditions([], state, now);
    expect(c.find((x) => x.type === 'Connected')).toStrictEqual(
      cond('Connected', 'False', t0, foreign),
    );
    expect(c[0]).toStrictEqual(cond('Ready', 'False', t0, foreign));
    expect(c.find((x) => x.type === 'SchemaInSync')?.status).toBe('True');
  });

  it('names the pending schemas; Ready follows with Info severity', () => {
    const state: BindingState = {
      ...good,
      schemasPending: [
        'BoundSchema configmaps.core',
        'CustomResourceDefinition widgets.example.com',
      ],
    };
    const pending = {
      severity: 'Info',
      reason: 'SchemaPending',
      message:
        'Waiting for BoundSchema configmaps.core, CustomResourceDefinition widgets.example.com.',
    };
    const c = bindingConditions([], state, now);
    expect(c.find((x) => x.type === 'SchemaInSync')).toStrictEqual(
      cond('SchemaInSync', 'False', t0, pending),
    );
    expect(c.find((x) => x.type === 'Connected')?.status).toBe('True');
    expect(c[0]).toStrictEqual(cond('Ready', 'False', t0, pending));
  });

  it('waits for informers and the first heartbeat', () => {
    const c = bindingConditions([], { ...good, informersSynced: false, heartbeating: false }, now);
    expect(c.find((x) => x.type === 'InformersSynced')).toStrictEqual(
      cond('InformersSynced', 'False', t0, {
        severity: 'Info',
        reason: 'InformersSyncing',
        message: 'Waiting for the informers to sync.',
      }),
    );
    const heartbeat = {
      severity: 'Info',
      reason: 'HeartbeatPending',
      message: 'Waiting for the first heartbeat.',
    };
    expect(c.find((x) => x.type === 'Heartbeating')).toStrictEqual(
      cond('Heartbeating', 'False', t0, heartbeat),
    );
    // Both are Info; the summary takes the first by type.
    expect(c[0]).toStrictEqual(cond('Ready', 'False', t0, heartbeat));
  });

  it('moves only the conditions that change when the export comes back', () => {
    const missing = bindingConditions([], { ...good, exportMissing: {} }, now);
    const c = bindingConditions(missing, good, later);
    expect(c.find((x) => x.type === 'Connected')).toStrictEqual(cond('Connected', 'True', t1));
    expect(c.find((x) => x.type === 'SchemaInSync')).toStrictEqual(
      cond('SchemaInSync', 'True', t1),
    );
    expect(c.find((x) => x.type === 'SecretValid')).toStrictEqual(cond('SecretValid', 'True', t0));
    expect(c[0]).toStrictEqual(cond('Ready', 'True', t1));
  });
});

describe('exportConditions', () => {
  const exp: APIServiceExport = {
    metadata: { name: 'widgets', namespace: contract },
    spec: {
      resources: [{ group: 'example.com', resource: 'widgets' }],
      informerScope: 'Namespaced',
      isolation: 'Prefixed',
    },
    // Written by the backend; the konnector keeps it.
    status: { conditions: [cond('ProviderInSync', 'True', t0)] },
  };

  it('is Connected and copies SchemaInSync True into ConsumerInSync', () => {
    const binding = bindingConditions(
      [],
      { crdErrors: [], schemasPending: [], informersSynced: true, heartbeating: true },
      now,
    );
    expect(exportConditions(exp, binding, later)).toStrictEqual([
      cond('Connected', 'True', t1),
      cond('ConsumerInSync', 'True', t1),
      cond('ProviderInSync', 'True', t0),
    ]);
  });

  it("copies a False SchemaInSync's reason, severity and message", () => {
    const binding = [
      cond('SchemaInSync', 'False', t0, {
        severity: 'Warning',
        reason: 'SchemaPending',
        message: 'Waiting for BoundSchema widgets.example.com.',
      }),
    ];
    expect(
      exportConditions(exp, binding, now).find((c) => c.type === 'ConsumerInSync'),
    ).toStrictEqual(
      cond('ConsumerInSync', 'False', t0, {
        severity: 'Warning',
        reason: 'SchemaPending',
        message: 'Waiting for BoundSchema widgets.example.com.',
      }),
    );
  });

  it('says so when the binding has no SchemaInSync yet', () => {
    expect(exportConditions(exp, [], now).find((c) => c.type === 'ConsumerInSync')).toStrictEqual(
      cond('ConsumerInSync', 'False', t0, {
        severity: 'Info',
        reason: 'Unknown',
        message: 'The binding has no SchemaInSync condition yet.',
      }),
    );
  });
});

// --- the reconcile's decisions ----------------------------------------------------------------

describe('decideBinding', () => {
  const finalized: APIServiceBinding = {
    ...binding,
    metadata: { ...binding.metadata, finalizers: [bindingFinalizer] },
  };
  const deleting = (b: APIServiceBinding): APIServiceBinding => ({
    ...b,
    metadata: { ...b.metadata, deletionTimestamp: t0 },
  });

  it('stops the syncers of a binding that is gone', () => {
    expect(decideBinding(undefined, false)).toStrictEqual({ type: 'stop-syncers' });
  });

  it("leaves another provider's binding alone, even while it is deleted", () => {
    expect(decideBinding(finalized, false)).toStrictEqual({ type: 'none' });
    expect(decideBinding(deleting(finalized), false)).toStrictEqual({ type: 'none' });
  });

  it('adds its finalizer before anything else', () => {
    expect(decideBinding(binding, true)).toStrictEqual({ type: 'add-finalizer', binding });
  });

  it('syncs a binding that holds its finalizer', () => {
    expect(decideBinding(finalized, true)).toStrictEqual({ type: 'sync', binding: finalized });
  });

  it('releases a deleted binding that holds its finalizer, and only then', () => {
    const gone = deleting(finalized);
    expect(decideBinding(gone, true)).toStrictEqual({ type: 'release', binding: gone });
    expect(decideBinding(deleting(binding), true)).toStrictEqual({ type: 'none' });
  });

  it('ignores finalizers of others', () => {
    const others: APIServiceBinding = {
      ...binding,
      metadata: { ...binding.metadata, finalizers: ['example.com/other'] },
    };
    expect(decideBinding(others, true).type).toBe('add-finalizer');
  });
});

describe('decideCRD', () => {
  const desired = consumerCRD(boundSchema(), binding);

  it('creates a missing CRD', () => {
    expect(decideCRD(boundSchema(), binding, undefined)).toStrictEqual({
      type: 'create',
      desired,
    });
  });

  it('keeps a CRD of this binding whose hash matches', () => {
    const live = liveCRD(desired);
    expect(decideCRD(boundSchema(), binding, live)).toStrictEqual({ type: 'keep', live });
  });

  it('updates a CRD of this binding made from another spec', () => {
    const live = liveCRD(consumerCRD(boundSchema(), binding));
    const changed = boundSchema({ ...widgets, versions: [version('v2', true, true)] });
    const action = decideCRD(changed, binding, live);
    expect(action).toStrictEqual({
      type: 'update',
      update: crdUpdate(live, consumerCRD(changed, binding)),
    });
  });

  it('never touches a CRD of the same name that is not ours', () => {
    const other: APIServiceBinding = { ...binding, metadata: { name: 'widgets', uid: 'other' } };
    const foreign = liveCRD(consumerCRD(boundSchema(), other));
    expect(decideCRD(boundSchema(), binding, foreign)).toStrictEqual({
      type: 'refuse',
      error: {
        reason: 'ForeignCustomResourceDefinition',
        message:
          'CustomResourceDefinition widgets.example.com exists and does not belong to APIServiceBinding widgets',
      },
    });
  });

  it('names a refused write by what it tried', () => {
    expect(crdWriteError('create', 'widgets.example.com', 'bad schema')).toStrictEqual({
      reason: 'CustomResourceDefinitionCreateFailed',
      message: 'CustomResourceDefinition widgets.example.com: bad schema',
    });
    expect(crdWriteError('update', 'widgets.example.com', 'bad schema').reason).toBe(
      'CustomResourceDefinitionUpdateFailed',
    );
  });
});

describe('decideClaim', () => {
  const claim = (group: string, resource: string) => ({
    group,
    resource,
    selector: { namedResources: [{ name: 'x' }] },
  });

  it.each(['configmaps', 'secrets', 'serviceaccounts'])('syncs claims on core %s', (r) => {
    expect(decideClaim(claim('', r))).toStrictEqual({ type: 'sync' });
  });

  it('refuses any other claim, naming it', () => {
    expect(decideClaim(claim('apps', 'deployments'))).toStrictEqual({
      type: 'refuse',
      error: {
        reason: 'UnsupportedPermissionClaim',
        message:
          'permission claim on deployments.apps is not supported (only configmaps, secrets and serviceaccounts)',
      },
    });
  });
});

describe('exportMissing', () => {
  const request = (phase: RequestPhase, terminalMessage?: string): APIServiceExportRequest => ({
    metadata: { name: 'widgets' },
    spec: { resources: [] },
    status: { phase, ...(terminalMessage && { terminalMessage }) },
  });

  it("carries a failed request's terminal message", () => {
    expect(exportMissing(request('Failed', 'no such resource'))).toStrictEqual({
      failedMessage: 'no such resource',
    });
  });

  it('is plain while the request is pending, or without a request', () => {
    expect(exportMissing(request('Pending'))).toStrictEqual({});
    expect(exportMissing(undefined)).toStrictEqual({});
  });
});

describe('bindingState', () => {
  const foreign = { reason: 'ForeignCustomResourceDefinition', message: 'a' };
  const unsupported = { reason: 'UnsupportedPermissionClaim', message: 'b' };

  it('is good without outcomes, and settled', () => {
    const state = bindingState([], true);
    expect(state).toStrictEqual({
      crdErrors: [],
      schemasPending: [],
      informersSynced: true,
      heartbeating: true,
    });
    expect(stillSettling(state)).toBe(false);
  });

  it('keeps errors and pending schemas in export order', () => {
    const state = bindingState(
      [
        { type: 'pending', waitingFor: 'BoundSchema widgets.example.com' },
        { type: 'failed', error: foreign },
        { type: 'syncing', synced: true },
        { type: 'pending', waitingFor: 'CustomResourceDefinition gadgets.example.com' },
        { type: 'failed', error: unsupported },
      ],
      false,
    );
    expect(state).toStrictEqual({
      crdErrors: [foreign, unsupported],
      schemasPending: [
        'BoundSchema widgets.example.com',
        'CustomResourceDefinition gadgets.example.com',
      ],
      informersSynced: true,
      heartbeating: false,
    });
    expect(stillSettling(state)).toBe(true);
  });

  it('is not synced while any syncer is not, and looks again', () => {
    const state = bindingState(
      [
        { type: 'syncing', synced: true },
        { type: 'syncing', synced: false },
      ],
      true,
    );
    expect(state.informersSynced).toBe(false);
    expect(stillSettling(state)).toBe(true);
  });

  it('says why the export is missing', () => {
    expect(bindingState([], true, { failedMessage: 'gone' }).exportMissing).toStrictEqual({
      failedMessage: 'gone',
    });
    expect('exportMissing' in bindingState([], true)).toBe(false);
  });
});

describe('staleSyncers', () => {
  it('are the running syncers no longer wanted', () => {
    const running = ['widgets/a', 'widgets/b', 'widgets/claim/secrets'];
    expect(staleSyncers(running, new Set(['widgets/b']))).toStrictEqual([
      'widgets/a',
      'widgets/claim/secrets',
    ]);
    expect(staleSyncers(running, new Set(running))).toStrictEqual([]);
  });
});

describe('bindingStatus', () => {
  const conditions = [cond('Ready', 'True', t0)];
  const exp: APIServiceExport = {
    metadata: { name: 'widgets', namespace: contract },
    spec: {
      resources: [{ group: 'example.com', resource: 'widgets', versions: ['v1'] }],
      permissionClaims: [{ group: '', resource: 'secrets', selector: {} }],
      informerScope: 'Namespaced',
      isolation: 'Prefixed',
    },
  };
  const clusterBinding: ClusterBinding = {
    metadata: { name: 'cluster', namespace: contract },
    spec: {
      kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
      providerPrettyName: 'Acme',
    },
  };

  it("lists the export's resources and claims and the provider's name", () => {
    expect(bindingStatus(binding, conditions, exp, clusterBinding)).toStrictEqual({
      providerPrettyName: 'Acme',
      conditions,
      boundSchemas: [{ group: 'example.com', resource: 'widgets' }],
      permissionClaims: exp.spec.permissionClaims,
    });
  });

  it('keeps the last pretty name and lists nothing without an export', () => {
    const named: APIServiceBinding = { ...binding, status: { providerPrettyName: 'Old' } };
    expect(bindingStatus(named, conditions, undefined, undefined)).toStrictEqual({
      providerPrettyName: 'Old',
      conditions,
    });
  });

  it('is undefined when nothing changes', () => {
    const status = bindingStatus(binding, conditions, exp, clusterBinding);
    const current: APIServiceBinding = { ...binding, ...(status && { status }) };
    expect(bindingStatus(current, conditions, exp, clusterBinding)).toBeUndefined();
  });
});

describe('exportConditionsUpdate', () => {
  const exp: APIServiceExport = {
    metadata: { name: 'widgets', namespace: contract },
    spec: { resources: [], informerScope: 'Namespaced', isolation: 'Prefixed' },
  };
  const inSync = [cond('SchemaInSync', 'True', t0)];

  it('is the new conditions when they change, undefined once written', () => {
    const next = exportConditionsUpdate(exp, inSync, now);
    expect(next).toStrictEqual(exportConditions(exp, inSync, now));
    const written: APIServiceExport = { ...exp, status: { conditions: next ?? [] } };
    expect(exportConditionsUpdate(written, inSync, later)).toBeUndefined();
  });
});
