// Where the apiresourceschema virtual workspace of an engaged kcp cluster is (docs/controllers.md
// §6.4, "Shared VW fallback"). An APIBinding's bound resources name APIResourceSchemas that live
// in the export's workspace, which the backend cannot read directly; kcp serves them, per consumer
// workspace, at `/services/apiresourceschema/<id>/clusters/<id>` to whoever may read that
// workspace's APIBindings. The engaged cluster's client talks to the APIExport virtual workspace,
// `…/services/apiexport/<workspace path>/<export>/clusters/<id>`, which names the id.

/** An engaged cluster's APIExport virtual-workspace URL, taken apart. */
export interface APIExportURL {
  origin: string;
  /** Anything before `/services` (a front proxy's base path); usually empty. */
  prefix: string;
  /** The logical cluster id (`2abc…`). */
  clusterId: string;
}

const apiExportPath = /^(.*)\/services\/apiexport\/[^/]+\/[^/]+\/clusters\/([^/]+)\/?$/;

export function parseAPIExportURL(server: URL | string): APIExportURL {
  const url = new URL(server.toString());
  const match = apiExportPath.exec(url.pathname);
  const clusterId = match?.[2];
  if (match === null || clusterId === undefined || clusterId === '*') {
    throw new Error(
      `invalid apiexport URL format: ${url.toString()}; want ` +
        '…/services/apiexport/<workspace>/<export>/clusters/<logical cluster>',
    );
  }
  return { origin: url.origin, prefix: match[1] ?? '', clusterId };
}

/**
 * The base path of the apiresourceschema virtual workspace for the cluster behind `server`. The
 * cluster segment repeats the id: kcp ignores it, and `*` would be percent-encoded by some clients.
 */
export function apiResourceSchemaVWPath(server: URL | string): string {
  const { prefix, clusterId } = parseAPIExportURL(server);
  const id = encodeURIComponent(clusterId);
  return `${prefix}/services/apiresourceschema/${id}/clusters/${id}`;
}
