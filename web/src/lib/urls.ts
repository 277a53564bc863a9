// URLs the UI builds: API paths, the login (authorize) URL and the hand-off to `kubectl bind`.

import { base64UrlFromText } from './base64.ts';

/** The parameters `kubectl bind` puts on the page URL (protocol.md §6.5), kept across the login round trip. */
export interface FlowParams {
  sessionId: string;
  clusterId: string;
  consumerId: string;
  redirectUrl: string;
}

export const emptyFlow: FlowParams = {
  sessionId: '',
  clusterId: '',
  consumerId: '',
  redirectUrl: '',
};

const queryNames: Record<keyof FlowParams, string> = {
  sessionId: 'session_id',
  clusterId: 'cluster_id',
  consumerId: 'consumer_id',
  redirectUrl: 'redirect_url',
};

/** The flow parameters present in a query string (absent ones are left out). */
export function flowFromQuery(search: string): Partial<FlowParams> {
  const query = new URLSearchParams(search);
  const out: Partial<FlowParams> = {};
  for (const key of Object.keys(queryNames) as (keyof FlowParams)[]) {
    const value = query.get(queryNames[key]);
    if (value !== null) out[key] = value;
  }
  return out;
}

/** The query string carrying `flow` (empty values left out), with a leading `?` unless empty. */
export function queryFromFlow(flow: FlowParams): string {
  const query = new URLSearchParams();
  for (const key of Object.keys(queryNames) as (keyof FlowParams)[]) {
    if (flow[key] !== '') query.set(queryNames[key], flow[key]);
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** `path` plus the non-empty entries of `query`. */
export function apiPath(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, value);
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/**
 * The backend's login URL for the browser (cookie) flow. `returnTo` is this page's origin and path:
 * the backend redirects there with `session_id` and `cluster_id` in the query.
 */
export function authorizeUrl(flow: FlowParams, returnTo: string): string {
  const params = new URLSearchParams({
    session_id: flow.sessionId,
    redirect_url: returnTo,
    cluster_id: flow.clusterId,
    client_type: 'ui',
    consumer_id: flow.consumerId,
  });
  return `/api/authorize?${params.toString()}`;
}

/**
 * Whether `url` points at this machine: the CLI always listens on 127.0.0.1. Handing a binding
 * (which carries a kubeconfig with a token) anywhere else would leak it, so the UI refuses.
 */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.username !== '' || parsed.password !== '') return false;
  const host = parsed.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The URL the browser is sent to so that the waiting `kubectl bind` receives the binding:
 * `redirect_url` plus `session_id`, `consumer_id` and `binding_response` (URL-safe base64 with
 * padding of the UTF-8 JSON the backend returned). Throws when `redirectUrl` is not loopback.
 */
export function handoffUrl(
  redirectUrl: string,
  values: { sessionId: string; consumerId: string; bindingResponseJson: string },
): string {
  if (!isLoopbackUrl(redirectUrl)) {
    throw new Error(
      `Refusing to hand the binding to ${redirectUrl}: kubectl bind always listens on a loopback address.`,
    );
  }
  const url = new URL(redirectUrl);
  url.searchParams.set('session_id', values.sessionId);
  url.searchParams.set('consumer_id', values.consumerId);
  url.searchParams.set('binding_response', base64UrlFromText(values.bindingResponseJson));
  return url.toString();
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A 26-character random session id (like the CLI's), from `random` bytes. */
export function newSessionId(random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array): string {
  const bytes = random(new Uint8Array(26));
  let out = '';
  for (const b of bytes) out += base32.charAt(b & 31);
  return out;
}
