// The binding service: everything the HTTP front door does with the provider cluster, behind
// one object, so handlers never touch Kubernetes themselves (the lint enforces it). It reads from
// the front door's caches and writes through the consumer provisioner.
import type { Logger } from 'pino';
import type {
  ApplyBindingResponse,
  BindingResponse,
  ConsumerStatus,
  ExportRequestDocument,
} from '../../apis/kubebind/documents.ts';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ProvisionOn } from '../controllers/bindableresourcesrequest/controller.ts';
import { BackendError } from '../errors.ts';
import type { KonnectorSettings } from '../../apis/kubebind/konnector-manifests.ts';
import { applyToConsumer, parseApplyRequest } from './apply.ts';
import { authorizeBind, type Subject } from './authorize.ts';
import { translated } from './kube-errors.ts';
import { parseBindRequest, uiIdentity, type BindInput } from './bind-request.ts';
import type { ServedCluster, ServedClusters } from './clusters.ts';
import { byCodeUnits } from '../../apis/order.ts';

/** The logged-in user a request acts for (from the verified session). */
export interface User {
  subject: string;
  issuer: string;
  groups: readonly string[];
  sessionId: string;
}

export interface BindingServiceDeps {
  clusters: ServedClusters;
  provision: ProvisionOn;
  clock: Clock;
  log: Logger;
  /** How long the web-UI flow waits for its export request to succeed (upstream: 60 s). */
  uiWaitMs?: number;
  uiPollMs?: number;
  /** The konnector the one-click apply installs. */
  konnector: KonnectorSettings;
}

export interface List<T> {
  apiVersion: typeof kb.kubeBindAPIVersion;
  kind: string;
  metadata: Record<string, never>;
  items: T[];
}

export class BindingService {
  readonly #d: BindingServiceDeps;

  constructor(deps: BindingServiceDeps) {
    this.#d = deps;
  }

  /** True when every served cluster's caches are synced (for /readyz). */
  ready(): boolean {
    return this.#d.clusters.ready();
  }

  /** Rejects with Forbidden unless the provider's RBAC lets the user bind (protocol.md §4.3). */
  async authorize(clusterId: string, user: Subject): Promise<void> {
    const { client } = this.#d.clusters.get(clusterId).cluster;
    await translated('Cluster authorization failed', () => authorizeBind(client, user));
  }

  templates(clusterId: string): List<kb.APIServiceExportTemplate> {
    const items = this.#d.clusters.get(clusterId).templates.lister.list();
    return list('APIServiceExportTemplateList', items);
  }

  collections(clusterId: string): List<kb.Collection> {
    return list('CollectionList', this.#d.clusters.get(clusterId).collections.lister.list());
  }

  /**
   * POST /api/bind (protocol.md §3.14): provisions the consumer and answers with its kubeconfig and the
   * export request to create. The template is looked up first, so a wrong name provisions
   * nothing. In the web-UI flow the backend creates the request itself and waits for it.
   */
  async bind(
    clusterId: string,
    consumerId: string,
    user: User,
    body: unknown,
    signal: AbortSignal,
  ): Promise<BindingResponse> {
    const input = parseBindRequest(body);
    const served = this.#d.clusters.get(clusterId);
    const template = served.templates.lister.get(input.templateName);
    if (!template) {
      throw new BackendError('NotFound', 'Failed to retrieve template', {
        details: `APIServiceExportTemplate "${input.templateName}" does not exist`,
      });
    }
    const uiFlow = input.identity === uiIdentity;
    const identity = uiFlow ? userIdentity(user) : consumerId || input.identity;
    const provisioned = await translated('Failed to handle cluster resources', () =>
      this.#d.provision(
        served.cluster,
        {
          identity,
          author: user.subject,
          clusterPrettyName: input.prettyName ?? input.name,
          // The consumer_id is the client's word; the session's user is who may use it.
          owner: { issuer: user.issuer, subject: user.subject },
        },
        signal,
      ),
    );
    const request = exportRequest(input, template);
    const response: BindingResponse = {
      kind: 'BindingResponse',
      apiVersion: kb.kubeBindAPIVersion,
      authentication: { oauth2CodeGrant: { sid: user.sessionId, id: userIdentity(user) } },
      kubeconfig: Buffer.from(provisioned.kubeconfig).toString('base64'),
      requests: [request],
      providerNamespace: provisioned.namespace,
    };
    if (uiFlow) {
      response.bindingName = await translated('Failed to create the export request', () =>
        this.#createAndWait(served, provisioned.namespace, request, signal),
      );
    }
    this.#d.log.info(
      {
        cluster: served.cluster.name,
        namespace: provisioned.namespace,
        template: input.templateName,
        uiFlow,
      },
      'binding issued',
    );
    return response;
  }

  /** POST /api/apply-binding (protocol.md §3.16): bind for the web-UI user, install on their cluster. */
  async applyBinding(
    clusterId: string,
    user: User,
    body: unknown,
    signal: AbortSignal,
  ): Promise<ApplyBindingResponse> {
    const input = parseApplyRequest(body);
    const served = this.#d.clusters.get(clusterId);
    const provisioned = await translated('Failed to handle cluster resources', () =>
      this.#d.provision(
        served.cluster,
        {
          identity: userIdentity(user),
          author: user.subject,
          clusterPrettyName: input.bindingName,
          owner: { issuer: user.issuer, subject: user.subject },
        },
        signal,
      ),
    );
    // The exports the bundle will bind (the UI asked for them just before): the konnector gets
    // its rights for each from here.
    const exports = await translated(
      'Failed to list the exports',
      async () =>
        (
          await new ResourceClient(
            served.cluster.client,
            kb.APIServiceExports,
            provisioned.namespace,
          ).list({
            signal,
          })
        ).items,
    );
    try {
      return await applyToConsumer(
        input,
        provisioned.kubeconfig,
        this.#d.konnector,
        signal,
        exports,
      );
    } catch (err) {
      if (err instanceof BackendError) throw err;
      this.#d.log.warn(
        { err, binding: input.bindingName },
        'apply-binding failed on the consumer cluster',
      );
      throw new BackendError('BadRequest', 'Failed to apply binding to consumer cluster', {
        details: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** GET /api/consumer-status (protocol.md §3.15): the web-UI user's own namespace and exports. */
  async consumerStatus(
    clusterId: string,
    user: User,
    signal: AbortSignal,
  ): Promise<ConsumerStatus> {
    const served = this.#d.clusters.get(clusterId);
    const [namespace] = served.namespacesByIdentity(userIdentity(user));
    const name = namespace?.metadata?.name;
    if (name === undefined) return { connected: false };
    // Read when asked rather than cached: only this page needs exports, and a cache of every
    // consumer's exports in each replica would duplicate the controllers' and cost memory.
    const { items } = await new ResourceClient(
      served.cluster.client,
      kb.APIServiceExports,
      name,
    ).listAll({
      signal,
    });
    const exports = items.map((e) => e.metadata?.name ?? '').sort();
    return {
      connected: exports.length > 0,
      namespace: name,
      ...(exports.length > 0 && { exports }),
    };
  }

  /** The web-UI flow: create the request (another name on a clash) and wait for Succeeded. */
  async #createAndWait(
    served: ServedCluster,
    namespace: string,
    request: ExportRequestDocument,
    signal: AbortSignal,
  ): Promise<string> {
    const requests = new ResourceClient(
      served.cluster.client,
      kb.APIServiceExportRequests,
      namespace,
    );
    const { spec } = request;
    const wanted = request.metadata.name ?? 'export';
    let created: kb.APIServiceExportRequest;
    try {
      created = await requests.create({ metadata: { name: wanted }, spec });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      created = await requests.create({ metadata: { generateName: `${wanted}-` }, spec });
    }
    const name = created.metadata?.name ?? '';
    const { clock } = this.#d;
    const deadline = clock.now() + (this.#d.uiWaitMs ?? 60_000);
    for (;;) {
      const current = await requests.get(name);
      const phase = current.status?.phase;
      if (phase === 'Succeeded') return name;
      if (phase === 'Failed') {
        throw new BackendError('Conflict', 'The export request failed', {
          details: current.status?.terminalMessage ?? `APIServiceExportRequest "${name}" failed`,
        });
      }
      if (clock.now() >= deadline) {
        throw new BackendError('Timeout', 'The export request did not succeed in time', {
          details: `APIServiceExportRequest "${name}" in "${namespace}" is still ${phase ?? 'Pending'}`,
        });
      }
      await clock.sleep(this.#d.uiPollMs ?? 1_000, signal);
    }
  }
}

/** The identity of a web-UI user: `<issuer>/<subject>` (protocol.md §3.14 step 3). */
export function userIdentity(user: Pick<User, 'issuer' | 'subject'>): string {
  return `${user.issuer}/${user.subject}`;
}

function list<T extends { metadata?: { name?: string } }>(kind: string, items: T[]): List<T> {
  const sorted = [...items].sort((a, b) =>
    byCodeUnits(a.metadata?.name ?? '', b.metadata?.name ?? ''),
  );
  return { apiVersion: kb.kubeBindAPIVersion, kind, metadata: {}, items: sorted };
}

/** The request the consumer (or the UI flow) creates: the template's spec, not its scope. */
function exportRequest(
  input: BindInput,
  template: kb.APIServiceExportTemplate,
): ExportRequestDocument {
  const { resources, permissionClaims, namespaces, schemaUpdatePolicy } = template.spec;
  return {
    kind: 'APIServiceExportRequest',
    apiVersion: kb.kubeBindAPIVersion,
    metadata: { name: input.name },
    spec: {
      resources: structuredClone(resources),
      ...(permissionClaims?.length && { permissionClaims: structuredClone(permissionClaims) }),
      ...(namespaces?.length && { namespaces: structuredClone(namespaces) }),
      ...(schemaUpdatePolicy && { schemaUpdatePolicy }),
    },
    status: {},
  };
}
