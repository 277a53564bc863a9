// Where a kcp consumer's kubeconfig points (docs/controllers.md §6.3). The backend reaches an
// engaged logical cluster through the APIExport's virtual workspace
// (`/services/apiexport/<workspace-path>/<export>/clusters/<id>`), but the konnector must talk to
// the logical cluster itself, as the service account the backend issued: the same host (or
// --external-address) with the path `/clusters/<id>`.
import { parseAPIExportURL } from './vw-url.ts';

/**
 * The server URL of a consumer kubeconfig for the cluster reached at `clusterURL`: the external
 * address if one is set, else the virtual workspace's origin, with the path `/clusters/<id>`
 * (replacing any path the external address had, as upstream does).
 */
export function consumerKubeconfigServer(clusterURL: URL, externalAddress?: string): string {
  const { clusterId } = parseAPIExportURL(clusterURL);
  const base = new URL(externalAddress ?? clusterURL.origin);
  return `${base.origin}/clusters/${clusterId}`;
}
