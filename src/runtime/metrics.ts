// Prometheus metrics for the runtime, named like controller-runtime's and client-go's so existing
// dashboards and alerts apply. One RuntimeMetrics per registry; the pieces of the runtime take the
// small hook interfaces (queue, reflector, controller, API requests) and never see prom-client.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RequestObserver } from '../kube/client.ts';
import type { ReflectorMetrics, RestartReason } from './cache/reflector.ts';
import type { ControllerMetrics } from './controller/controller.ts';
import type { Outcome } from './controller/result.ts';
import type { QueueMetrics } from './workqueue/index.ts';

const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Whether this process holds the named Lease (client-go's leader_election_master_status). */
export interface LeaderStatusMetric {
  set(lease: string, leading: boolean): void;
}

export class RuntimeMetrics {
  readonly queue: QueueMetrics;
  readonly leader: LeaderStatusMetric;
  readonly reflector: ReflectorMetrics;
  readonly controller: ControllerMetrics & { queue: QueueMetrics };
  readonly requests: RequestObserver;

  constructor(registry: Registry) {
    const registers = [registry];
    this.queue = queueMetrics(registers);
    this.reflector = reflectorMetrics(registers);
    this.controller = { ...controllerMetrics(registers), queue: this.queue };
    this.requests = requestMetrics(registers);
    this.leader = leaderMetrics(registers);
  }
}

function leaderMetrics(registers: Registry[]): LeaderStatusMetric {
  const status = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
    labelNames: ['name'] as const,
    registers,
  });
  return { set: (lease, leading) => status.set({ name: lease }, leading ? 1 : 0) };
}

function queueMetrics(registers: Registry[]): QueueMetrics {
  const labelNames = ['name'] as const;
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames,
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames,
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames,
    registers,
  });
  const queued = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames,
    buckets: latencyBuckets,
    registers,
  });
  const work = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames,
    buckets: latencyBuckets,
    registers,
  });
  return {
    add: (name) => adds.inc({ name }),
    depth: (name, n) => depth.set({ name }, n),
    retry: (name) => retries.inc({ name }),
    queueLatency: (name, s) => queued.observe({ name }, s),
    workDuration: (name, s) => work.observe({ name }, s),
  };
}

function reflectorMetrics(registers: Registry[]): ReflectorMetrics {
  const restarts = new Counter({
    name: 'informer_watch_restarts_total',
    help: 'Watches restarted, by resource and reason (closed, error, expired)',
    labelNames: ['resource', 'reason'] as const,
    registers,
  });
  const lists = new Counter({
    name: 'informer_lists_total',
    help: 'Full lists done by informers, by resource',
    labelNames: ['resource'] as const,
    registers,
  });
  return {
    watchRestart: (resource: string, reason: RestartReason) => restarts.inc({ resource, reason }),
    list: (resource) => lists.inc({ resource }),
  };
}

function controllerMetrics(registers: Registry[]): ControllerMetrics {
  const labelNames = ['controller'] as const;
  const total = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames,
    registers,
  });
  const terminal = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames,
    registers,
  });
  const time = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames,
    buckets: latencyBuckets,
    registers,
  });
  const active = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames,
    registers,
  });
  return {
    reconciled(controller: string, outcome: Outcome['kind'], seconds: number) {
      total.inc({ controller, result: outcome });
      if (outcome === 'error') errors.inc({ controller });
      if (outcome === 'terminal_error') {
        errors.inc({ controller });
        terminal.inc({ controller });
      }
      time.observe({ controller }, seconds);
    },
    activeWorkers: (controller, delta) => active.inc({ controller }, delta),
  };
}

function requestMetrics(registers: Registry[]): RequestObserver {
  const total = new Counter({
    name: 'rest_client_requests_total',
    help: 'Kubernetes API requests, by verb, resource and HTTP code',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Kubernetes API request latency (to response headers), by verb and resource',
    labelNames: ['verb', 'resource'] as const,
    buckets: latencyBuckets,
    registers,
  });
  return ({ verb, resource, code, seconds }) => {
    total.inc({ verb, resource, code });
    latency.observe({ verb, resource }, seconds);
  };
}
