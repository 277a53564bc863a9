// The serviceexportrequest controller (docs/controllers.md §5.5): turns a consumer's request
// into BoundSchemas, an APIServiceExport of the same name and pre-seeded APIServiceNamespaces,
// and reports the outcome truthfully in the request's status. The exported source schemas (CRDs,
// or on kcp APIResourceSchemas: `--schema-source`) are watched, so a request with
// SchemaUpdatePolicy Always carries a schema change to its BoundSchemas at once. Unlike upstream,
// a request may claim only what an APIServiceExportTemplate offers, and may pre-seed only
// namespaces that can become its own service namespaces (never a system namespace nor an existing
// one made for anything else); otherwise it fails before anything is created (decide.ts).
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { sourceSpecHash, sourceSpecHashOf } from '../../../apis/kubebind/spec-hash.ts';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { PatchType } from '../../../kube/client.ts';
import { AlreadyExistsError, ignoreAlreadyExists, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient, type KubeObject } from '../../../kube/resource.ts';
import { Namespaces } from '../../../kube/resources.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { noEvents, type EventRecorder, type EventType } from '../../../runtime/events.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter, type Result } from '../../../runtime/controller/result.ts';
import { sourceSpecHashAnnotation } from '../serviceexport/decide.ts';
import { hasResources } from '../well-formed.ts';
import {
  boundSchemaSpec,
  claimsOffered,
  desiredExportSpec,
  exportMatches,
  maxNamespaces,
  namespacesAllowed,
  validateRequest,
  type Failure,
  type ConsumerScope,
  type Isolation,
  type ResolvedResource,
} from './decide.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import { perCluster } from '../per-cluster.ts';
import { isNamespaceName, serviceNamespaceName } from '../servicenamespace/decide.ts';
import { crdSource, type SchemaSource } from '../../options/values.ts';
import {
  exportedSchemaSource,
  type ExportedSchemas,
  type ExportedSchemaSource,
} from '../exported-schemas.ts';
import { ownerLabel } from '../../../apis/kubebind/wire.ts';

export const serviceExportRequestControllerName = 'kube-bind-backend-serviceexportrequest';
/** Finished requests are removed after this long (upstream: 10 minutes). */
export const finishedRequestTTLMs = 10 * 60_000;

export interface ServiceExportRequestConfig {
  consumerScope: ConsumerScope;
  isolation: Isolation;
  clock: Clock;
  events?: EventRecorder;
  /** Where exported schemas come from (`--schema-source`); labelled CRDs by default. */
  schemaSource?: SchemaSource;
}

interface Informers {
  requests: Informer<kb.APIServiceExportRequest>;
  exports: Informer<kb.APIServiceExport>;
  schemas: Informer<kb.BoundSchema>;
  exported: ExportedSchemas;
}

const requestsBySourceIndex = 'ServiceExportRequestByGroupResource';

export function serviceExportRequestController(config: ServiceExportRequestConfig): ControllerSpec {
  const source = exportedSchemaSource(config.schemaSource ?? crdSource);
  const informersOf = perCluster((cluster): Informers => {
    const requests = cluster.informers.informerFor(kb.APIServiceExportRequests);
    requests.addIndexer(requestsBySourceIndex, (req) =>
      hasResources(req) ? req.spec.resources.map((r) => `${r.resource}.${r.group ?? ''}`) : [],
    );
    return {
      requests,
      exports: cluster.informers.informerFor(kb.APIServiceExports),
      schemas: cluster.informers.informerFor(kb.BoundSchemas),
      exported: source.in(cluster),
    };
  });
  return {
    name: serviceExportRequestControllerName,
    workers: 4,
    watches: (cluster) => {
      const { requests, exports, exported } = informersOf(cluster);
      const toRequest = (obj: { metadata?: { namespace?: string; name?: string } }) => [
        { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' },
      ];
      return [
        watch(requests, { map: forObject() }),
        watch(exports, { map: toRequest }),
        exported.watch((key) =>
          requests.lister.byIndex(requestsBySourceIndex, key).map(toRequest).flat(),
        ),
      ];
    },
    reconcile: async (req, ctx) => {
      const informers = informersOf(ctx.cluster);
      const request = informers.requests.lister.get(namespacedKey(req.namespace, req.name));
      if (!request || !hasResources(request)) return;
      return new RequestReconcile(config, source, informers, ctx.cluster, ctx.log, ctx.signal).run(
        request,
      );
    },
  };
}

/** One pass over one request. */
class RequestReconcile {
  readonly #config: ServiceExportRequestConfig;
  readonly #source: ExportedSchemaSource;
  readonly #informers: Informers;
  readonly #cluster: Cluster;
  readonly #log: Logger;
  readonly #signal: AbortSignal;

  constructor(
    config: ServiceExportRequestConfig,
    source: ExportedSchemaSource,
    informers: Informers,
    cluster: Cluster,
    log: Logger,
    signal: AbortSignal,
  ) {
    this.#config = config;
    this.#source = source;
    this.#informers = informers;
    this.#cluster = cluster;
    this.#log = log;
    this.#signal = signal;
  }

  async run(request: kb.APIServiceExportRequest): Promise<Result | undefined> {
    const phase = request.status?.phase ?? 'Pending';
    if (phase === 'Failed') return this.#collect(request);
    const validation = validateRequest(
      request,
      this.#informers.exported.specs(this.#config.consumerScope),
      this.#source.noun,
    );
    if (!validation.ok) {
      if (phase === 'Pending') {
        await this.#fail(request, validation.condition, validation.reason, validation.message);
      }
      return this.#collect(request);
    }
    if (phase === 'Pending') {
      const refused = await this.#refusal(request);
      if (refused) {
        await this.#fail(request, refused.condition, refused.reason, refused.message);
        return this.#collect(request);
      }
    }
    const alwaysSync = request.spec.schemaUpdatePolicy === 'Always';
    const existing = await this.#liveExport(request);
    if (phase === 'Pending' || alwaysSync) {
      await this.#ensureBoundSchemas(request, validation.resolved, existing);
    }
    if (phase === 'Pending') {
      const outcome = await this.#ensureExport(request, validation.resolved, existing);
      if (!outcome.ok) {
        await this.#fail(request, 'ExportsReady', 'ExportConflict', outcome.message);
        return this.#collect(request);
      }
      // BoundSchemas made before the export get it as their controller now (GC with the export).
      await this.#ensureBoundSchemas(request, validation.resolved, outcome.export);
      await this.#ensureNamespaces(request, outcome.export);
      await this.#succeed(request);
      await this.#event(
        request,
        'Normal',
        'ExportReady',
        `APIServiceExport ${name(request)} is ready`,
      );
    }
    return this.#collect(request);
  }

  /**
   * Why the request may not have what it asks, beyond the schemas: claims no template offers, or
   * namespaces that may not become service namespaces. Read from the server (templates and
   * namespaces made a moment ago count), once per request while it is Pending.
   */
  async #refusal(request: kb.APIServiceExportRequest): Promise<Failure | undefined> {
    if ((request.spec.permissionClaims ?? []).length > 0) {
      const templates = new ResourceClient(this.#cluster.client, kb.APIServiceExportTemplates);
      const { items } = await templates.listAll({ signal: this.#signal });
      const offered = claimsOffered(request, items);
      if (offered) return offered;
    }
    const wanted = (request.spec.namespaces ?? []).slice(0, maxNamespaces + 1);
    const nsClient = new ResourceClient(this.#cluster.client, Namespaces);
    const existing = new Map<string, Namespace>();
    for (const { name: consumerNs } of wanted.length > maxNamespaces ? [] : wanted) {
      const target = serviceNamespaceName(ns(request), consumerNs, this.#config.isolation);
      if (!isNamespaceName(target)) continue; // refused below, without asking the server
      const live = await ignoreNotFound(nsClient.get(target, this.#signal));
      if (live) existing.set(target, live);
    }
    return namespacesAllowed(request, ns(request), this.#config.isolation, (name) =>
      existing.get(name),
    );
  }

  /** Read from the server: the cache may lag an export created a moment ago. */
  #liveExport(request: kb.APIServiceExportRequest): Promise<kb.APIServiceExport | undefined> {
    const exports = new ResourceClient(this.#cluster.client, kb.APIServiceExports, ns(request));
    return ignoreNotFound(exports.get(name(request), this.#signal));
  }

  /** Creates missing BoundSchemas; with policy Always, replaces drifted specs (controllers.md §4.2). */
  async #ensureBoundSchemas(
    request: kb.APIServiceExportRequest,
    resolved: readonly ResolvedResource[],
    owner: kb.APIServiceExport | undefined,
  ): Promise<void> {
    const schemas = new ResourceClient(this.#cluster.client, kb.BoundSchemas, ns(request));
    for (const { name: schemaName, source } of resolved) {
      const spec = boundSchemaSpec(source, this.#config.consumerScope, this.#config.isolation);
      const hash = sourceSpecHash(spec);
      const live = this.#informers.schemas.lister.get(namespacedKey(ns(request), schemaName));
      if (!live) {
        await ignoreAlreadyExists(
          schemas.create({
            metadata: {
              name: schemaName,
              annotations: { [sourceSpecHashAnnotation]: hash },
              ...(owner && { ownerReferences: [controllerRef(owner)] }),
            },
            spec,
          }),
        );
        continue;
      }
      const needsOwner = owner && !live.metadata?.ownerReferences?.some((r) => r.controller);
      const drifted =
        request.spec.schemaUpdatePolicy === 'Always' &&
        live.metadata?.annotations?.[sourceSpecHashAnnotation] !== hash;
      if (!needsOwner && !drifted) continue;
      await schemas.update(
        {
          ...live,
          metadata: {
            ...live.metadata,
            ...(needsOwner && {
              ownerReferences: [...(live.metadata?.ownerReferences ?? []), controllerRef(owner)],
            }),
            ...(drifted && {
              annotations: { ...live.metadata?.annotations, [sourceSpecHashAnnotation]: hash },
            }),
          },
          ...(drifted && { spec }),
        },
        { signal: this.#signal },
      );
      if (drifted) {
        this.#log.info({ boundSchema: schemaName }, 'bound schema follows its source');
        await this.#event(
          live,
          'Normal',
          'SchemaUpdated',
          `the schema follows a change of ${schemaName}`,
        );
      }
    }
  }

  async #ensureExport(
    request: kb.APIServiceExportRequest,
    resolved: readonly ResolvedResource[],
    existing: kb.APIServiceExport | undefined,
  ): Promise<{ ok: true; export: kb.APIServiceExport } | { ok: false; message: string }> {
    const { consumerScope, isolation } = this.#config;
    const desired = desiredExportSpec(request, resolved, consumerScope, isolation);
    const conflict = {
      ok: false as const,
      message:
        `an APIServiceExport named ${name(request)} already exists in ${ns(request)} with other ` +
        'resources, claims or scope; bind under another name',
    };
    if (existing)
      return exportMatches(existing, desired) ? { ok: true, export: existing } : conflict;
    const specs = resolved.map((r) => boundSchemaSpec(r.source, consumerScope, isolation));
    const exports = new ResourceClient(this.#cluster.client, kb.APIServiceExports, ns(request));
    try {
      const created = await exports.create(
        {
          metadata: {
            name: name(request),
            annotations: { [sourceSpecHashAnnotation]: sourceSpecHashOf(specs) },
          },
          spec: desired,
        },
        { signal: this.#signal },
      );
      return { ok: true, export: created };
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const raced = await exports.get(name(request), this.#signal);
      return exportMatches(raced, desired) ? { ok: true, export: raced } : conflict;
    }
  }

  /** Pre-seeds the consumer namespaces the request names, owned by the export. */
  async #ensureNamespaces(
    request: kb.APIServiceExportRequest,
    owner: kb.APIServiceExport,
  ): Promise<void> {
    const namespaces = new ResourceClient(
      this.#cluster.client,
      kb.APIServiceNamespaces,
      ns(request),
    );
    for (const { name: consumerNamespace } of request.spec.namespaces ?? []) {
      await ignoreAlreadyExists(
        namespaces.create({
          metadata: {
            name: consumerNamespace,
            labels: { [ownerLabel]: 'provider' },
            ownerReferences: [controllerRef(owner)],
          },
          spec: {},
        }),
      );
    }
  }

  #event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    return (this.#config.events ?? noEvents).event(obj, type, reason, message);
  }

  async #succeed(request: kb.APIServiceExportRequest): Promise<void> {
    const now = this.#config.clock.now();
    let conditions = markTrue(request.status?.conditions ?? [], 'ExportsReady', now);
    conditions = markTrue(conditions, 'PermissionClaim', now);
    await this.#writeStatus(request, {
      phase: 'Succeeded',
      conditions: setSummary(conditions, now),
    });
  }

  async #fail(
    request: kb.APIServiceExportRequest,
    condition: string,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.#config.clock.now();
    const conditions = markFalse(
      request.status?.conditions ?? [],
      condition,
      reason,
      'Error',
      message,
      now,
    );
    await this.#writeStatus(request, {
      phase: 'Failed',
      terminalMessage: message,
      conditions: setSummary(conditions, now),
    });
    this.#log.info({ reason, message }, 'export request failed');
    await this.#event(request, 'Warning', reason, message);
  }

  async #writeStatus(
    request: kb.APIServiceExportRequest,
    status: kb.APIServiceExportRequestStatus,
  ): Promise<void> {
    const requests = new ResourceClient(
      this.#cluster.client,
      kb.APIServiceExportRequests,
      ns(request),
    );
    await requests.patch(
      name(request),
      PatchType.merge,
      { metadata: { resourceVersion: request.metadata?.resourceVersion }, status },
      { subresource: 'status', signal: this.#signal },
    );
  }

  /**
   * Finished requests go after a while, as upstream's do (the export stays). A request with
   * policy Always stays: it is what carries the policy to later schema changes.
   */
  async #collect(request: kb.APIServiceExportRequest): Promise<Result | undefined> {
    if (request.spec.schemaUpdatePolicy === 'Always' && request.status?.phase !== 'Failed') return;
    const created = Date.parse(request.metadata?.creationTimestamp ?? '');
    if (Number.isNaN(created)) return;
    const remaining = created + finishedRequestTTLMs - this.#config.clock.now();
    if (remaining > 0) return requeueAfter(remaining);
    const requests = new ResourceClient(
      this.#cluster.client,
      kb.APIServiceExportRequests,
      ns(request),
    );
    await ignoreNotFound(
      requests.delete(name(request), {
        preconditions: { uid: request.metadata?.uid ?? '' },
        signal: this.#signal,
      }),
    );
    return undefined;
  }
}

const ns = (obj: { metadata?: { namespace?: string } }): string => obj.metadata?.namespace ?? '';
const name = (obj: { metadata?: { name?: string } }): string => obj.metadata?.name ?? '';

function controllerRef(owner: kb.APIServiceExport): OwnerReference {
  return {
    apiVersion: 'kube-bind.io/v1alpha2',
    kind: 'APIServiceExport',
    name: name(owner),
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
