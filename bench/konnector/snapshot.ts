// Counters of both clusters and processes at one moment; the konnector's share between two.
import { cpuSeconds, memoryMiB } from '../lib/proc.ts';
import { type Counts, isRead, minus, samples } from '../lib/requests.ts';
import { apiserverCounts, counter, type Env, processCounts, type Side } from './cluster.ts';
import { claimController } from './config.ts';

/** Counters on both clusters and both processes, and the konnector's usage, at one moment. */
export interface Snapshot {
  at: number;
  provider: Counts;
  consumer: Counts;
  backend: Counts;
  konnector: Counts;
  /** The konnector's reconciles by `controller result` (its controller_runtime metrics). */
  reconciles: Map<string, number>;
  /** The konnector's writes: how many and their summed latency (s), both clusters together. */
  writes: { count: number; seconds: number };
  /** The claim syncer's reconciles: how many and their summed time (s). */
  claimReconciles: { count: number; seconds: number };
  providerDriver: number;
  consumerDriver: number;
  usage: Usage;
}

/** The konnector's memory (MiB) and CPU time (s). */
export interface Usage {
  rss: number;
  hwm: number;
  /** The V8 heap in use (nodejs_heap_size_used_bytes), to tell live data from RSS slack. */
  heap: number;
  /** CPU seconds used so far. */
  cpu: number;
}

export async function snapshot(env: Env): Promise<Snapshot> {
  const text = await (await fetch(env.konnector.metricsUrl)).text();
  const reconciles = new Map<string, number>();
  for (const { labels, value } of samples(text, 'controller_runtime_reconcile_total')) {
    const key = `${labels['controller']} ${labels['result']}`;
    reconciles.set(key, (reconciles.get(key) ?? 0) + value);
  }
  const heap = [...samples(text, 'nodejs_heap_size_used_bytes')][0]?.value ?? NaN;
  const claimReconciles = { count: 0, seconds: 0 };
  for (const { labels, value } of samples(
    text,
    'controller_runtime_reconcile_time_seconds_count',
  )) {
    if (labels['controller'] === claimController) claimReconciles.count += value;
  }
  for (const { labels, value } of samples(text, 'controller_runtime_reconcile_time_seconds_sum')) {
    if (labels['controller'] === claimController) claimReconciles.seconds += value;
  }
  const writes = { count: 0, seconds: 0 };
  const isWrite = (verb = '') => !isRead(verb);
  for (const { labels, value } of samples(text, 'rest_client_request_duration_seconds_count')) {
    if (isWrite(labels['verb'])) writes.count += value;
  }
  for (const { labels, value } of samples(text, 'rest_client_request_duration_seconds_sum')) {
    if (isWrite(labels['verb'])) writes.seconds += value;
  }
  return {
    at: Date.now(),
    provider: await apiserverCounts(env.provider.admin),
    consumer: await apiserverCounts(env.consumer.admin),
    backend: await processCounts(env.backend.metricsUrl),
    konnector: counter.fromMetrics(text, 'rest_client_requests_total'),
    reconciles,
    writes,
    claimReconciles,
    // Taken after the scrapes, so the scrapes' own /metrics requests (resource "") fall before.
    providerDriver: env.provider.records.length,
    consumerDriver: env.consumer.records.length,
    usage: {
      ...memoryMiB(env.konnector.proc.pid ?? 0),
      heap: heap / 2 ** 20,
      cpu: cpuSeconds(env.konnector.proc.pid ?? 0),
    },
  };
}

export interface KonnectorRequests {
  provider: Counts;
  consumer: Counts;
  /** The konnector's own count, both clusters together, as a cross-check. */
  selfReported: Counts;
  reconciles: Map<string, number>;
}

/** The konnector's requests between two snapshots: the apiservers' counts less everyone else's. */
export function konnectorRequests(env: Env, from: Snapshot, to: Snapshot): KonnectorRequests {
  const driver = (side: Side, a: number, b: number) =>
    counter.fromRecords(side.records.slice(a, b));
  return {
    provider: minus(
      minus(minus(to.provider, from.provider), minus(to.backend, from.backend)),
      driver(env.provider, from.providerDriver, to.providerDriver),
    ),
    consumer: minus(
      minus(to.consumer, from.consumer),
      driver(env.consumer, from.consumerDriver, to.consumerDriver),
    ),
    selfReported: minus(to.konnector, from.konnector),
    reconciles: minus(to.reconciles, from.reconciles),
  };
}
