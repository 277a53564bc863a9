// The page's connection to the backend: the flow parameters, the API client (which adds
// `cluster_id` to every call, since the backend picks the session cookie by it) and the login
// redirect.

import { ref } from 'vue';
import { Api, describeError, isAuthenticationFailure } from './lib/api.ts';
import {
  clearLoginMark,
  loginRecentlyStarted,
  markLoginStarted,
  saveFlow,
} from './lib/flow-storage.ts';
import type {
  ApplyBindingResult,
  BackendInfo,
  BindingResponse,
  Collection,
  ConsumerStatus,
  List,
  Template,
} from './lib/types.ts';
import { bindRequest, uiIdentity } from './lib/types.ts';
import { apiPath, authorizeUrl, emptyFlow, newSessionId, type FlowParams } from './lib/urls.ts';

export const flow = ref<FlowParams>({ ...emptyFlow });

const api = new Api((input, init) => window.fetch(input, init));

const cluster = (): Record<string, string> => ({ cluster_id: flow.value.clusterId });

/** Whether `kubectl bind` opened this page and waits for a binding. */
export function cliWaiting(f: FlowParams = flow.value): boolean {
  return f.redirectUrl !== '' && f.consumerId !== '';
}

const withConsumer = (): Record<string, string> => ({
  ...cluster(),
  consumer_id: flow.value.consumerId,
});

async function bind(
  query: Record<string, string>,
  body: unknown,
): Promise<{ value: BindingResponse; text: string }> {
  const { value, text } = await api.postJson(apiPath('/api/bind', query), body);
  return { value: value as BindingResponse, text };
}

export const backend = {
  info: async () => (await api.getJson('/api/info')) as BackendInfo,
  ping: () => api.text(apiPath('/api/ping', cluster())),
  templates: async () =>
    (await api.getJson(apiPath('/api/templates', withConsumer()))) as List<Template>,
  collections: async () =>
    (await api.getJson(apiPath('/api/collections', withConsumer()))) as List<Collection>,
  consumerStatus: async () =>
    (await api.getJson(apiPath('/api/consumer-status', cluster()))) as ConsumerStatus,
  /** CLI flow: the backend only prepares; the CLI creates the request (protocol.md §6.5). */
  bindForCli: (bindingName: string, template: string) =>
    bind(withConsumer(), bindRequest(bindingName, template, flow.value.consumerId)),
  /** Web flow: the backend creates the request for the user's identity and waits (protocol.md §6.6). */
  bindInBrowser: (bindingName: string, template: string) =>
    bind(cluster(), bindRequest(bindingName, template, uiIdentity)),
  applyBinding: async (consumerKubeconfig: string, bindingName: string) => {
    const { value } = await api.postJson(apiPath('/api/apply-binding', cluster()), {
      consumerKubeconfig,
      bindingName,
    });
    return value as ApplyBindingResult;
  },
  logout: () => api.post(apiPath('/api/logout', cluster())),
};

function randomBytes(bytes: Uint8Array<ArrayBuffer>): Uint8Array {
  return window.crypto.getRandomValues(bytes);
}

let redirecting = false;

/** Goes to the backend's login; it brings the browser back to this page. */
export function startLogin(): void {
  if (redirecting) return;
  redirecting = true;
  const current = flow.value;
  const next =
    current.sessionId === '' ? { ...current, sessionId: newSessionId(randomBytes) } : current;
  saveFlow(window.sessionStorage, next);
  markLoginStarted(window.sessionStorage, Date.now());
  window.location.assign(authorizeUrl(next, window.location.origin + window.location.pathname));
}

/** The backend accepted the session: a later expiry may redirect to the login again. */
export function loginSucceeded(): void {
  clearLoginMark(window.sessionStorage);
}

/** Whether a login redirect just happened (so another one would loop). */
export function loginJustHappened(): boolean {
  return loginRecentlyStarted(window.sessionStorage, Date.now());
}

/**
 * The text to show for a failed call. An expired session starts a new login (unless one just
 * happened — then the error is shown instead of looping).
 */
export function errorText(error: unknown): string {
  if (isAuthenticationFailure(error)) {
    if (redirecting || !loginJustHappened()) {
      startLogin();
      return 'Your session has expired. Redirecting to the login…';
    }
    return `${describeError(error)}. Logging in again did not help — are cookies blocked for this site?`;
  }
  return describeError(error);
}
