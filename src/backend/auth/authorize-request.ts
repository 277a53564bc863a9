// What /api/authorize accepts. The endpoint is public and what it accepts is stored until the
// login finishes or expires, so every field is bounded and checked against an allow-list before
// anything is stored (upstream takes any length: 1 MB of consumer_id cost about 1.2 MiB for ten
// minutes per request).
import { BackendError } from '../errors.ts';
import type { AuthorizeRequest } from '../session/store.ts';

/** The longest value of each field, in characters. */
export const fieldLimits: Readonly<Record<keyof AuthorizeRequest, number>> = {
  // A loopback URL for the CLI, or a page of this backend for the UI.
  redirect_url: 2048,
  // The CLI sends 26 characters (Go's crypto/rand.Text()); the SPA a base36 id and a timestamp.
  session_id: 128,
  // A kcp logical cluster name.
  cluster_id: 63,
  client_type: 3,
  // A namespace UID (36 characters) or --cluster-identity.
  consumer_id: 256,
};

/** `cli` (token flow) and `ui` (cookie flow); empty means `ui`, as upstream treats any other. */
export const clientTypes: readonly string[] = ['', 'cli', 'ui'];

/** URL-unreserved characters: the CLI's and the SPA's ids, echoed back in URLs. */
const sessionIdPattern = /^[A-Za-z0-9._~-]+$/;
/** kcp logical cluster names; they also become part of a cookie name. */
const clusterIdPattern = /^[a-z0-9][a-z0-9-]*$/;

/** Whether `id` can name a logical cluster (every route that takes `cluster_id` checks it). */
export function isClusterId(id: string): boolean {
  return id.length <= fieldLimits.cluster_id && clusterIdPattern.test(id);
}
/** Printable ASCII, no spaces. */
const consumerIdPattern = /^[\x21-\x7e]*$/;

/** Throws a 400 that names the first field that is missing, too long or not allowed. */
export function checkAuthorizeRequest(request: AuthorizeRequest): void {
  if (request.redirect_url === '' || request.session_id === '') {
    throw new BackendError('BadRequest', 'missing redirect_url or session_id');
  }
  for (const [field, limit] of Object.entries(fieldLimits) as [keyof AuthorizeRequest, number][]) {
    if (request[field].length > limit) {
      throw invalid(field, `it is longer than ${limit} characters`);
    }
  }
  if (!clientTypes.includes(request.client_type)) {
    throw invalid('client_type', 'want cli or ui');
  }
  if (!sessionIdPattern.test(request.session_id)) {
    throw invalid('session_id', 'want letters, digits and - . _ ~');
  }
  if (request.cluster_id !== '' && !isClusterId(request.cluster_id)) {
    throw invalid('cluster_id', 'want lower-case letters, digits and -');
  }
  if (!consumerIdPattern.test(request.consumer_id)) {
    throw invalid('consumer_id', 'want printable ASCII without spaces');
  }
}

function invalid(field: keyof AuthorizeRequest, why: string): BackendError {
  return new BackendError('BadRequest', `invalid ${field}`, { details: `${field}: ${why}` });
}
