// The JSON documents the UI reads and writes (protocol.md §5). Only the fields the UI uses.

export interface ObjectMeta {
  name?: string;
  creationTimestamp?: string | null;
  [key: string]: unknown;
}

export interface ExportResource {
  group?: string;
  resource: string;
  versions?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Selector {
  namedResources?: { name: string; namespace?: string }[];
  labelSelector?: LabelSelector;
  references?: {
    group?: string;
    resource: string;
    versions?: string[];
    jsonPath?: { name?: string; namespace?: string };
  }[];
}

export interface PermissionClaim {
  group?: string;
  resource: string;
  selector?: Selector;
}

export interface Template {
  metadata: ObjectMeta;
  spec?: {
    description?: string;
    scope?: string;
    resources?: ExportResource[];
    permissionClaims?: PermissionClaim[];
    namespaces?: { name: string }[];
    schemaUpdatePolicy?: string;
  };
}

export interface Collection {
  metadata: ObjectMeta;
  spec?: { description?: string; templates?: { name: string }[] };
}

export interface List<T> {
  items?: T[] | null;
}

export interface BindingResponse {
  kind?: string;
  apiVersion?: string;
  authentication?: { oauth2CodeGrant?: { sid?: string; id?: string } | null };
  kubeconfig: string;
  requests?: unknown[];
  providerNamespace?: string;
  bindingName?: string;
}

export interface ConsumerStatus {
  connected: boolean;
  namespace?: string;
  exports?: string[];
}

export interface ApplyBindingResult {
  konnectorDeployed?: boolean;
  bundleCreated?: boolean;
  message?: string;
}

export interface BackendInfo {
  providerPrettyName: string;
  version: string;
  developmentIssuer: boolean;
}

/** The body of POST /api/bind (a BindableResourcesRequest, protocol.md §5.4). */
export function bindRequest(
  bindingName: string,
  templateName: string,
  identity: string,
): Record<string, unknown> {
  return {
    metadata: { name: bindingName },
    spec: {
      templateRef: { name: templateName },
      clusterIdentity: { identity },
      author: 'web-ui',
    },
  };
}

/** The identity the pure web UI sends; the backend replaces it with the user's identity. */
export const uiIdentity = 'ui-identity';
