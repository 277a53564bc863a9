// The JSON documents the UI reads and writes (protocol.md §5). They are the backend's own types from
// src/apis, imported as types only (nothing of src/ reaches the bundle), so the UI and the backend
// cannot disagree on a field name. The aliases keep the names the UI uses.

import type {
  APIServiceExportResource,
  APIServiceExportTemplate,
  BindableResourcesRequest,
} from '../../../src/apis/kubebind/types.gen.ts';

export type {
  Collection,
  LabelSelector,
  PermissionClaim,
  Selector,
} from '../../../src/apis/kubebind/types.gen.ts';
export type {
  ApplyBindingResponse as ApplyBindingResult,
  BackendInfo,
  BindingResponse,
  ConsumerStatus,
} from '../../../src/apis/kubebind/documents.ts';

export type Template = APIServiceExportTemplate;
export type ExportResource = APIServiceExportResource;

/** GET /api/templates and /api/collections: a Kubernetes-style list. */
export interface List<T> {
  items?: T[] | null;
}

/** The body of POST /api/bind (a BindableResourcesRequest, protocol.md §5.4). */
export function bindRequest(
  bindingName: string,
  templateName: string,
  identity: string,
): BindableResourcesRequest {
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
