// Where a kcp consumer's kubeconfig points (spec controllers.md §6.3). The backend reaches an
// engaged logical cluster through the APIExport's virtual workspace
// (`/services/apiexport/<workspace-path>/<export>/clusters/<id>`), but the konnector must talk to
// the logical cluster itself, as the service account the backend issued: the same host (or
// --external-address) with the path `/clusters/<id>`.

/** The logical cluster id in an APIExport virtual-workspace URL, or an error naming the URL. */
export function logicalClusterOfVirtualWorkspace(url: URL): string {
  // ['', 'services', 'apiexport', <path>, <export>, 'clusters', <id>, …]
  const segments = url.pathname.split('/');
  const id = segments[6];
  if (segments.length < 7 || segments[5] !== 'clusters' || !id || id === '*') {
    throw new Error(
      `invalid apiexport URL format: ${url.toString()} (want …/services/apiexport/<path>/<export>/clusters/<id>)`,
    );
  }
  return id;
}

/**
 * The server URL of a consumer kubeconfig for the cluster reached at `clusterURL`: the external
 * address if one is set, else the virtual workspace's origin, with the path `/clusters/<id>`
 * (replacing any path the external address had, as upstream does).
 */
export function consumerKubeconfigServer(clusterURL: URL, externalAddress?: string): string {
  const id = logicalClusterOfVirtualWorkspace(clusterURL);
  const base = new URL(externalAddress ?? clusterURL.origin);
  return `${base.origin}/clusters/${id}`;
}
