// The serviceexportrequest controller (docs/controllers.md §5.5): turns a consumer's request
// into BoundSchemas, an APIServiceExport of the same name and pre-seeded APIServiceNamespaces,
// and reports the outcome truthfully in the request's status. The exported source schemas (CRDs,
// or on kcp APIResourceSchemas: `--schema-source`) are watched, so a request with
// SchemaUpdatePolicy Always carries a schema change to its BoundSchemas at once. Unlike upstream,
// a request may claim only what an APIServiceExportTemplate offers, and may pre-seed only
// namespaces that can become its own service namespaces (never a system namespace nor an existing
// one made for anything else); otherwise it fails before anything is created. This file reads
// and writes; what to do is decided in decide.ts.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { sourceSpecHashOf } from '../../../apis/kubebind/spec-hash.ts';
import * as kb from '../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreAlreadyExists, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient, type KubeObject } from '../../../kube/resource.ts';
import { Namespaces } from '../../../kube/resources.ts';
import { patchStatusGuarded } from '../../../kube/status-patch.ts';
import type { Informer } from '../../../runtime/cache/informer.ts';
import { namespacedKey } from '../../../runtime/cache/keys.ts';
import type { Clock } from '../../../runtime/clock.ts';
import { noEvents, type EventRecorder, type EventType } from '../../../runtime/events.ts';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../runtime/controller/handlers.ts';
import { requeueAfter, type Result } from '../../../runtime/controller/result.ts';
import { hasResources } from '../well-formed.ts';
import {
  boundSchemaSpec,
  claimsOffered,
  decideBoundSchema,
  decideRequest,
  desiredExportSpec,
  expiryOf,
  exportConflict,
  exportMatches,
  failedStatus,
  maxNamespaces,
  namespacesAllowed,
  needsAdmission,
  requestPhase,
  succeededStatus,
  validateRequest,
  type Failure,
  type ObservedRequest,
  type ResolvedResource,
} from './decide.ts';
import type { InformerScope, Isolation } from '../../../apis/kubebind/types.gen.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import { perCluster } from '../per-cluster.ts';
import { isNamespaceName, serviceNamespaceName } from '../service-namespaces.ts';
import { crdSource, type SchemaSource } from '../../options/values.ts';
import {
  exportedSchemaSource,
  type ExportedSchemas,
  type ExportedSchemaSource,
} from '../exported-schemas.ts';
import { deleteExpired } from '../delete-expired.ts';
import { ownerLabel, sourceSpecHashAnnotation } from '../../../apis/kubebind/wire.ts';
import { controllerRefTo } from '../../../apis/kubebind/owner.ts';

export const serviceExportRequestControllerName = 'kube-bind-backend-serviceexportrequest';

/**
 * A reconcile is a chain of writes, each waiting on the apiserver: 8 at once kept this machine's
 * apiserver busy (1,000 requests Succeeded in 6.8 s against 14.0 s with 4), and 16 gained nothing
 * but memory for the requests in flight (bench/backend.ts).
 */
export const serviceExportRequestWorkers = 8;

export interface ServiceExportRequestConfig {
  consumerScope: InformerScope;
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
  /** BoundSchema creates in flight by `<namespace>/<name>` (see #createSchemaOnce). */
  creatingSchemas: Map<string, Promise<unknown>>;
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
      creatingSchemas: new Map(),
    };
  });
  return {
    name: serviceExportRequestControllerName,
    workers: serviceExportRequestWorkers,
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
    const action = decideRequest(await this.#observe(request));
    switch (action.kind) {
      case 'fail':
        await this.#fail(request, action.failure);
        break;
      case 'provision':
        await this.#provision(request, action.resolved);
        break;
      case 'follow-sources':
        await this.#ensureBoundSchemas(request, action.resolved, await this.#liveExport(request));
        break;
      case 'none':
        break;
    }
    return this.#collect(request);
  }

  /** What the decision needs: validation unless Failed, admission only for a valid Pending one. */
  async #observe(request: kb.APIServiceExportRequest): Promise<ObservedRequest> {
    if (requestPhase(request) === 'Failed') return { request };
    const validation = validateRequest(
      request,
      this.#informers.exported.specs(this.#config.consumerScope),
      this.#source.noun,
    );
    if (!needsAdmission(request, validation)) return { request, validation };
    const refusal = await this.#refusal(request);
    return { request, validation, ...(refusal && { refusal }) };
  }

  /** The export, its BoundSchemas and the pre-seeded namespaces; then Succeeded. */
  async #provision(
    request: kb.APIServiceExportRequest,
    resolved: readonly ResolvedResource[],
  ): Promise<void> {
    const made = await this.#ensureExport(request, resolved, await this.#knownExport(request));
    if (!made) {
      await this.#fail(request, exportConflict(request));
      return;
    }
    // The export first, so that each BoundSchema is created with it as controller owner (GC with
    // the export) in one write; made before it, each would need a second write to be adopted.
    // The serviceexport controller gives the schemas a moment to appear (missingSchemaGraceMs).
    await this.#ensureBoundSchemas(request, resolved, made);
    await this.#ensureNamespaces(request, made);
    await this.#writeStatus(request, succeededStatus(request, this.#config.clock.now()));
    // Not awaited (recording never fails a reconcile, and client-go's recorder does not block
    // either): the next request need not wait for this write.
    void this.#event(
      request,
      'Normal',
      'ExportReady',
      `APIServiceExport ${name(request)} is ready`,
    );
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

  /**
   * The export of the request's name, when there may be one: none when the cache has none (if
   * the cache lags, creating it fails with AlreadyExists and #ensureExport reads it then), else
   * read from the server, as the cached one may be stale. A new request costs no read.
   */
  async #knownExport(
    request: kb.APIServiceExportRequest,
  ): Promise<kb.APIServiceExport | undefined> {
    const cached = this.#informers.exports.lister.get(namespacedKey(ns(request), name(request)));
    return cached ? this.#liveExport(request) : undefined;
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
    const alwaysSync = request.spec.schemaUpdatePolicy === 'Always';
    for (const { name: schemaName, source } of resolved) {
      const spec = boundSchemaSpec(source, this.#config.consumerScope, this.#config.isolation);
      const live = this.#informers.schemas.lister.get(namespacedKey(ns(request), schemaName));
      const action = decideBoundSchema(live, spec, alwaysSync, owner !== undefined);
      if (action.kind === 'create') {
        await this.#createSchemaOnce(namespacedKey(ns(request), schemaName), () =>
          ignoreAlreadyExists(
            schemas.create({
              metadata: {
                name: schemaName,
                annotations: { [sourceSpecHashAnnotation]: action.hash },
                ...(owner && { ownerReferences: [controllerRef(owner)] }),
              },
              spec,
            }),
          ),
        );
        continue;
      }
      if (action.kind === 'in-sync' || !live) continue;
      const { adopt, drifted, hash } = action;
      await schemas.update(
        {
          ...live,
          metadata: {
            ...live.metadata,
            ...(adopt &&
              owner && {
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

  /**
   * Runs `create` unless a create of the same BoundSchema is in flight, and then waits for that
   * one instead: a consumer's requests for one resource share its BoundSchema, and when they
   * arrive together (kubectl bind of several APIs at once) the workers would each try, all but
   * one failing with AlreadyExists (0.3 wasted writes per export in bench/backend.ts).
   */
  async #createSchemaOnce(key: string, create: () => Promise<unknown>): Promise<void> {
    const inFlight = this.#informers.creatingSchemas;
    let creating = inFlight.get(key);
    if (!creating) {
      creating = create().finally(() => inFlight.delete(key));
      inFlight.set(key, creating);
    }
    await creating;
  }

  /** The export the request asks for, made if missing; undefined when another one has its name. */
  async #ensureExport(
    request: kb.APIServiceExportRequest,
    resolved: readonly ResolvedResource[],
    existing: kb.APIServiceExport | undefined,
  ): Promise<kb.APIServiceExport | undefined> {
    const { consumerScope, isolation } = this.#config;
    const desired = desiredExportSpec(request, resolved, consumerScope, isolation);
    const ifMatching = (exp: kb.APIServiceExport) =>
      exportMatches(exp, desired) ? exp : undefined;
    if (existing) return ifMatching(existing);
    const specs = resolved.map((r) => boundSchemaSpec(r.source, consumerScope, isolation));
    const exports = new ResourceClient(this.#cluster.client, kb.APIServiceExports, ns(request));
    try {
      return await exports.create(
        {
          metadata: {
            name: name(request),
            annotations: { [sourceSpecHashAnnotation]: sourceSpecHashOf(specs) },
          },
          spec: desired,
        },
        { signal: this.#signal },
      );
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      return ifMatching(await exports.get(name(request), this.#signal));
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

  async #fail(request: kb.APIServiceExportRequest, failure: Failure): Promise<void> {
    const { reason, message } = failure;
    await this.#writeStatus(request, failedStatus(request, failure, this.#config.clock.now()));
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
    await patchStatusGuarded(requests, request, { ...status }, this.#signal);
  }

  /** Deletes the request once its TTL has passed (decide.ts); otherwise looks again then. */
  async #collect(request: kb.APIServiceExportRequest): Promise<Result | undefined> {
    const expiry = expiryOf(request, this.#config.clock.now());
    if (expiry.kind === 'wait') return requeueAfter(expiry.afterMs);
    if (expiry.kind === 'delete') {
      const requests = new ResourceClient(
        this.#cluster.client,
        kb.APIServiceExportRequests,
        ns(request),
      );
      await deleteExpired(requests, request, this.#signal);
    }
    return undefined;
  }
}

const ns = (obj: { metadata?: { namespace?: string } }): string => obj.metadata?.namespace ?? '';
const name = (obj: { metadata?: { name?: string } }): string => obj.metadata?.name ?? '';

const controllerRef = (owner: kb.APIServiceExport): OwnerReference =>
  controllerRefTo('APIServiceExport', owner, { blockOwnerDeletion: true });
