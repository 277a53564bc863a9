// Puts the kube-bind.io API into a kcp installation (docs/controllers.md §6.5), as upstream's
// kcp-init does: a workspace (default `root:kube-bind`) holding one APIResourceSchema per kind, the
// APIExport `kube-bind.io` with its permission claims, and an APIBinding of that export in the same
// workspace. Provider workspaces then bind `<workspace>:kube-bind.io`.
//
// Each step is idempotent, so running it again (or on an upgrade) converges: schemas are created
// (they are immutable, and their names change with their content), the export is applied with
// server-side apply, and the binding's spec is replaced. Schemas an older version created are
// left in place: bindings elsewhere may still serve them until they follow the export.
//
// Not done, unlike upstream's kcp-init: its namespace `controllers`, service account
// `kube-bind-controller` with a legacy token secret, and a cluster-admin binding (for a different
// service account) in the workspace. They serve upstream's demo deployment, not the API; the
// backend's own credentials belong to its deployment.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { APIBinding, APIResourceSchema } from '../../apis/kubebind/kcp.ts';
import type { CRDDefinition } from '../../apis/schema/crd.ts';
import {
  kubeBindAcceptedClaims,
  kubeBindAPIBinding,
  kubeBindAPIExport,
  kubeBindExportName,
  toAPIResourceSchema,
} from '../../apis/kubebind/kcp.ts';
import { kubeBindKinds } from '../../apis/kubebind/crds/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { AlreadyExistsError, ignoreAlreadyExists } from '../../kube/errors.ts';
import { retryOnConflict } from '../../kube/conflict.ts';
import { ResourceClient, resourceType, type KubeObject } from '../../kube/resource.ts';
import { ClusterRoleBindings, ClusterRoles } from '../../kube/resources.ts';

export const fieldManager = 'kube-bind-ts-kcp-init';

const Workspaces = resourceType<KubeObject & { spec?: unknown; status?: { phase?: string } }>({
  group: 'tenancy.kcp.io',
  version: 'v1alpha1',
  resource: 'workspaces',
  kind: 'Workspace',
  namespaced: false,
});
export const APIResourceSchemas = resourceType<APIResourceSchema>({
  group: 'apis.kcp.io',
  version: 'v1alpha1',
  resource: 'apiresourceschemas',
  kind: 'APIResourceSchema',
  namespaced: false,
});
type Export = ReturnType<typeof kubeBindAPIExport>;
const APIExports = resourceType<Export>({
  group: 'apis.kcp.io',
  version: 'v1alpha2',
  resource: 'apiexports',
  kind: 'APIExport',
  namespaced: false,
});
export const APIBindings = resourceType<APIBinding>({
  group: 'apis.kcp.io',
  version: 'v1alpha2',
  resource: 'apibindings',
  kind: 'APIBinding',
  namespaced: false,
});

export interface KcpBootstrapOptions {
  /** A client anywhere on the kcp server; the bootstrap picks its logical clusters. */
  client: KubeClient;
  /** The parent of the workspace, e.g. `root`. */
  parent?: string;
  /** The workspace's name, e.g. `kube-bind`. */
  workspace?: string;
  /** The workspace type (upstream: organization). */
  workspaceType?: { name: string; path: string };
  /**
   * Who may bind the export from other workspaces (kcp checks the `bind` verb on it in this
   * workspace). Upstream grants nobody; operators usually name their provider admins here.
   */
  bindableBy?: readonly {
    kind: 'User' | 'Group' | 'ServiceAccount';
    name: string;
    namespace?: string;
  }[];
  log: Logger;
  /** The kinds to export; all of kube-bind.io unless given (tests pass changed definitions). */
  kinds?: readonly CRDDefinition[];
  /** How long to wait for the workspace and the binding. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Returns the workspace path that holds the export, e.g. `root:kube-bind`. */
export async function bootstrapKcp(opts: KcpBootstrapOptions): Promise<string> {
  const parent = opts.parent ?? 'root';
  const name = opts.workspace ?? 'kube-bind';
  const path = `${parent}:${name}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);

  const signal = opts.signal;
  await ensureWorkspace(opts, parent, name, deadline);
  const ws = opts.client.cluster(path);
  const kinds = opts.kinds ?? kubeBindKinds;
  const schemas = new ResourceClient(ws, APIResourceSchemas);
  for (const def of kinds) {
    await ignoreAlreadyExists(schemas.create(toAPIResourceSchema(def), signal ? { signal } : {}));
  }
  await new ResourceClient(ws, APIExports).apply(kubeBindAPIExport(kinds), {
    fieldManager,
    force: true,
    ...(signal && { signal }),
  });
  if (opts.bindableBy && opts.bindableBy.length > 0) await grantBind(ws, opts.bindableBy, signal);
  await ensureBinding(new ResourceClient(ws, APIBindings), path, signal);
  await waitFor('the kube-bind.io APIBinding to be Bound', deadline, signal, async () => {
    const binding = await new ResourceClient(ws, APIBindings).get(kubeBindExportName, signal);
    return binding.status?.phase === 'Bound';
  });
  opts.log.info({ workspace: path, export: kubeBindExportName }, 'kube-bind.io API is in kcp');
  return path;
}

async function ensureWorkspace(
  opts: KcpBootstrapOptions,
  parent: string,
  name: string,
  deadline: number,
): Promise<void> {
  const workspaces = new ResourceClient(opts.client.cluster(parent), Workspaces);
  const type = opts.workspaceType ?? { name: 'organization', path: 'root' };
  await ignoreAlreadyExists(
    workspaces.create(
      { metadata: { name }, spec: { type } },
      opts.signal ? { signal: opts.signal } : {},
    ),
  );
  await waitFor(`workspace ${parent}:${name} to be Ready`, deadline, opts.signal, async () => {
    const ws = await workspaces.get(name, opts.signal);
    return ws.status?.phase === 'Ready';
  });
}

/** A ClusterRole allowing `bind` on the export, bound to `subjects` (applied, so it converges). */
async function grantBind(
  ws: KubeClient,
  subjects: NonNullable<KcpBootstrapOptions['bindableBy']>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const write = { fieldManager, force: true, ...(signal && { signal }) };
  const name = `${kubeBindExportName}:bind`;
  await new ResourceClient(ws, ClusterRoles).apply(
    {
      metadata: { name },
      rules: [
        {
          apiGroups: ['apis.kcp.io'],
          resources: ['apiexports'],
          resourceNames: [kubeBindExportName],
          verbs: ['bind'],
        },
      ],
    },
    write,
  );
  await new ResourceClient(ws, ClusterRoleBindings).apply(
    {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: subjects.map((s) => ({
        ...s,
        ...(s.kind === 'ServiceAccount' ? {} : { apiGroup: 'rbac.authorization.k8s.io' }),
      })),
    },
    write,
  );
}

/** Replaces the binding's spec (create, or update until no conflict). */
async function ensureBinding(
  bindings: ResourceClient<APIBinding>,
  path: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const desired = kubeBindAPIBinding(path, kubeBindAcceptedClaims);
  const opts = signal ? { signal } : {};
  try {
    await bindings.create(desired, opts);
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
    await retryOnConflict(async () => {
      const live = await bindings.get(desired.metadata.name, signal);
      await bindings.update({ ...live, spec: desired.spec }, opts);
    }, opts);
  }
}

async function waitFor(
  what: string,
  deadline: number,
  signal: AbortSignal | undefined,
  done: () => Promise<boolean>,
): Promise<void> {
  let last: unknown;
  for (;;) {
    // A failed probe (a passing network fault, a 404 before kcp serves something) is retried
    // until the deadline; the last error is reported then.
    try {
      if (await done()) return;
      last = undefined;
    } catch (err) {
      if (signal?.aborted) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`kcp bootstrap: timed out waiting for ${what}${why}`);
    }
    await sleep(200, undefined, signal ? { signal } : {});
  }
}
