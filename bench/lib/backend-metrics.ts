import { samples } from './requests.ts';

/** What a controller process's /metrics says about its work so far. */
export interface WorkFigures {
  /** Reconciles by `controller result`. */
  reconciles: Map<string, number>;
  /** API requests made and their summed latency to response headers (s). */
  requests: { count: number; seconds: number };
}

export function workFigures(text: string): WorkFigures {
  const reconciles = new Map<string, number>();
  for (const { labels, value } of samples(text, 'controller_runtime_reconcile_total')) {
    const key = `${labels['controller']} ${labels['result']}`;
    reconciles.set(key, (reconciles.get(key) ?? 0) + value);
  }
  let [count, seconds] = [0, 0];
  for (const { value } of samples(text, 'rest_client_request_duration_seconds_count'))
    count += value;
  for (const { value } of samples(text, 'rest_client_request_duration_seconds_sum'))
    seconds += value;
  return { reconciles, requests: { count, seconds } };
}

/** `b` less `a`. */
export function workBetween(a: WorkFigures, b: WorkFigures): WorkFigures {
  const reconciles = new Map(b.reconciles);
  for (const [k, v] of a.reconciles) reconciles.set(k, (reconciles.get(k) ?? 0) - v);
  return {
    reconciles,
    requests: {
      count: b.requests.count - a.requests.count,
      seconds: b.requests.seconds - a.requests.seconds,
    },
  };
}
