// The JSON documents that cross the backend's HTTP API (docs/protocol.md §5): they are not
// Kubernetes objects, but the upstream CLI decodes them with kube-bind's Go types, so field names
// and which fields are always present must match.
import type { APIServiceExportRequestSpec, kubeBindAPIVersion } from './types.gen.ts';

/** GET /api/exports. `apiVersion` is literally `v1alpha2` upstream (no group); clients ignore it. */
export interface BindingProvider {
  kind: 'BindingProvider';
  apiVersion: 'v1alpha2';
  providerPrettyName: string;
  version: string;
  authenticationMethods: {
    method: 'OAuth2CodeGrant';
    oauth2CodeGrant: { authenticatedURL: string };
  }[];
}

/** An APIServiceExportRequest as it travels inside a BindingResponse (protocol.md §5.3). */
export interface ExportRequestDocument {
  kind: 'APIServiceExportRequest';
  apiVersion: typeof kubeBindAPIVersion;
  metadata: { name?: string };
  spec: APIServiceExportRequestSpec;
  status: Record<string, never>;
}

/** POST /api/bind. The CLI requires `authentication.oauth2CodeGrant` to be non-null. */
export interface BindingResponse {
  kind: 'BindingResponse';
  apiVersion: typeof kubeBindAPIVersion;
  authentication: { oauth2CodeGrant: { sid: string; id: string } };
  /** Standard base64 (with padding) of the kubeconfig YAML. */
  kubeconfig: string;
  requests: ExportRequestDocument[];
  providerNamespace?: string;
  bindingName?: string;
}

export type ErrorCode =
  | 'AUTHENTICATION_FAILED'
  | 'AUTHORIZATION_FAILED'
  | 'RESOURCE_NOT_FOUND'
  | 'INTERNAL_ERROR'
  | 'BAD_REQUEST'
  | 'CLUSTER_CONNECTION_FAILED'
  // Ours: the upstream UI treats any code it does not know as a plain error.
  | 'CONFLICT'
  | 'METHOD_NOT_ALLOWED'
  | 'SERVICE_UNAVAILABLE'
  | 'TOO_MANY_REQUESTS';

/** The structured error (protocol.md §2.5 a); `details` is left out when empty. */
export interface ErrorDocument {
  kind: 'Error';
  apiVersion: typeof kubeBindAPIVersion;
  message: string;
  code: ErrorCode;
  details?: string;
}

/** GET /api/consumer-status (protocol.md §3.15). */
export interface ConsumerStatus {
  connected: boolean;
  namespace?: string;
  exports?: string[];
}

/** POST /api/apply-binding (protocol.md §3.16). */
export interface ApplyBindingRequest {
  consumerKubeconfig: string;
  bindingName: string;
  hostAliases?: string[];
}

export interface ApplyBindingResponse {
  konnectorDeployed: boolean;
  bundleCreated: boolean;
  message: string;
}

/** GET /api/info: ours, for the web UI (upstream has none). */
export interface BackendInfo {
  providerPrettyName: string;
  version: string;
  /** The backend logs in with its embedded development issuer: the UI shows a warning. */
  developmentIssuer: boolean;
}
