// Keeps the CLI flow parameters in sessionStorage across the login round trip (protocol.md §6.5): the backend
// brings the browser back with only `session_id` and `cluster_id`, so `consumer_id` and
// `redirect_url` must come from here.

import { emptyFlow, flowFromQuery, type FlowParams } from './urls.ts';

const flowKey = 'kube-bind-ui.flow';
const loginKey = 'kube-bind-ui.login-started';

/** What sessionStorage offers (an interface so tests can pass a fake). */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function saveFlow(store: KeyValueStore, flow: FlowParams): void {
  store.setItem(flowKey, JSON.stringify(flow));
}

export function loadFlow(store: KeyValueStore): FlowParams | undefined {
  const raw = store.getItem(flowKey);
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof FlowParams, unknown>>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return {
      sessionId: str(value.sessionId),
      clusterId: str(value.clusterId),
      consumerId: str(value.consumerId),
      redirectUrl: str(value.redirectUrl),
    };
  } catch {
    return undefined;
  }
}

export function clearFlow(store: KeyValueStore): void {
  store.removeItem(flowKey);
  store.removeItem(loginKey);
}

/**
 * The flow for a page load with query `search`. Values in the URL win; when the URL carries a
 * `session_id` or `cluster_id` (the CLI opened us, or the backend brought us back from login),
 * missing values are restored from the store. Without either, this is a fresh UI visit and stale
 * stored values are ignored.
 */
export function resolveFlow(
  search: string,
  store: KeyValueStore,
): { flow: FlowParams; cliStyle: boolean } {
  const fromUrl = flowFromQuery(search);
  const cliStyle = fromUrl.sessionId !== undefined || fromUrl.clusterId !== undefined;
  if (!cliStyle) return { flow: { ...emptyFlow, ...fromUrl }, cliStyle };
  const stored = loadFlow(store);
  const sameSession =
    stored !== undefined &&
    (fromUrl.sessionId === undefined || stored.sessionId === fromUrl.sessionId);
  return {
    flow: { ...emptyFlow, ...(sameSession ? stored : {}), ...fromUrl },
    cliStyle,
  };
}

/** Remembers that a login redirect started now (to avoid redirect loops). */
export function markLoginStarted(store: KeyValueStore, now: number): void {
  store.setItem(loginKey, String(now));
}

/** Forgets the login mark once the backend accepted the session. */
export function clearLoginMark(store: KeyValueStore): void {
  store.removeItem(loginKey);
}

/** Whether a login redirect started less than `withinMs` ago. */
export function loginRecentlyStarted(
  store: KeyValueStore,
  now: number,
  withinMs = 30_000,
): boolean {
  const raw = store.getItem(loginKey);
  if (raw === null) return false;
  const started = Number(raw);
  return Number.isFinite(started) && now - started >= 0 && now - started < withinMs;
}
