// Reads the APIResourceSchema an APIBinding's bound resource names (docs/controllers.md §6.4):
// first in the bound workspace itself (where the export is local, or where the apiresourceschema
// controller already made a copy of the same name), then through the apiresourceschema virtual
// workspace, which serves the schemas of the workspace's bindings from their exports' workspaces.
import type { APIResourceSchema } from '../../../apis/kubebind/kcp.ts';
import type { KubeClient } from '../../../kube/client.ts';
import { ForbiddenError, ignoreNotFound } from '../../../kube/errors.ts';
import { ResourceClient } from '../../../kube/resource.ts';
import { APIResourceSchemas } from '../../../providers/kcp/bootstrap.ts';
import type { Cluster } from '../../../runtime/cluster.ts';
import { apiResourceSchemaVWPath } from '../../../providers/kcp/vw-url.ts';

export interface FetchedSchema {
  schema: APIResourceSchema;
  /** `workspace`: the object exists in the bound workspace (the original or our copy). */
  from: 'workspace' | 'virtual-workspace';
}

export class SchemaFetcher {
  readonly #local: ResourceClient<APIResourceSchema>;
  readonly #client: KubeClient;
  #vw: ResourceClient<APIResourceSchema> | undefined;

  constructor(client: KubeClient) {
    this.#client = client;
    this.#local = new ResourceClient(client, APIResourceSchemas);
  }

  /** The schema `name`, or undefined when neither place has it (yet). */
  async fetch(name: string, signal: AbortSignal): Promise<FetchedSchema | undefined> {
    const local = await ignoreNotFound(this.#local.get(name, signal));
    if (local) return { schema: local, from: 'workspace' };
    const vw = this.#virtualWorkspace();
    try {
      const schema = await ignoreNotFound(vw.get(name, signal));
      return schema && { schema, from: 'virtual-workspace' };
    } catch (err) {
      if (!(err instanceof ForbiddenError)) throw err;
      throw new Error(
        `reading APIResourceSchema ${name} through ${vw.client.server.toString()} was refused: ` +
          'kcp allows it to who may get apibindings in the workspace (the vwrbac controller ' +
          `grants that to the backend): ${err.message}`,
        { cause: err },
      );
    }
  }

  // Made on first use: the URL is only parsed when a schema is not in the workspace.
  #virtualWorkspace(): ResourceClient<APIResourceSchema> {
    this.#vw ??= new ResourceClient(
      this.#client.withPath(apiResourceSchemaVWPath(this.#client.server)),
      APIResourceSchemas,
    );
    return this.#vw;
  }
}

/** A fetcher for an engaged cluster (its client talks to the APIExport virtual workspace). */
export function schemaFetcherFor(cluster: Cluster): SchemaFetcher {
  return new SchemaFetcher(cluster.client);
}
