// The figures: tables, breakdowns per object, and one `name value` line per figure.
import { availableParallelism, loadavg } from 'node:os';
import { percentile } from '../lib/percentile.ts';
import { type Counts, readsAndWrites, total } from '../lib/requests.ts';
import { type Column, tableRow, tableRule } from '../lib/table.ts';
import { againstTarget } from '../lib/target.ts';
import type { ClaimPhase, ClaimResults, ReferenceSample } from './claims.ts';
import type { Env } from './cluster.ts';
import { concurrency, consumerNamespace, objects } from './config.ts';
import type { Results } from './measure.ts';
import type { PhaseResult } from './phase.ts';
import type { KonnectorRequests, Snapshot, Usage } from './snapshot.ts';

export const columns: readonly Column[] = [{ width: 48 }, { width: 52 }];

/** The konnector's memory targets (README, Benchmarks), MiB. */
const targets = { idleMiB: 80, perThousandMiB: 40 };

export const ms = (v: number): string => `${v.toFixed(1)} ms`;
export const perObject = (n: number): string => (n / objects).toFixed(2);
export const ratePerS = (elapsedMs: number): number => objects / (elapsedMs / 1000);
export const mib = (v: number): string => v.toFixed(0);

export function latencyRow(r: PhaseResult): string {
  const [p50, p99] = [percentile(r.latencies, 0.5), percentile(r.latencies, 0.99)];
  const max = r.latencies[r.latencies.length - 1] ?? NaN;
  return `${ms(p50)} / ${ms(p99)} / ${ms(max)} (p99/p50 ${(p99 / p50).toFixed(1)}×)`;
}

export function throughputRow(r: PhaseResult): string {
  const s = (v: number) => (v / 1000).toFixed(2);
  return `${s(r.allArrivedMs)} s, ${ratePerS(r.allArrivedMs).toFixed(0)}/s (driver calls ${s(r.callsMs)} s)`;
}

export function requestsRow(c: Counts): string {
  const { reads, writes } = readsAndWrites(c);
  return `${perObject(reads)} / ${perObject(writes)}`;
}

/** The non-zero entries per object, most first: which requests make up a figure. */
export function breakdown(c: Counts): string {
  const entries = [...c]
    .filter(([, n]) => Math.abs(n / objects) >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return entries.length === 0
    ? 'none'
    : entries.map(([key, n]) => `${key} ${perObject(n)}`).join(', ');
}

/**
 * CPU time per object in each phase, and as a share of the phase's sync time (first call to last
 * arrival, when nearly all of it is spent): near 100% means the konnector's one thread is the limit.
 */
export function cpuRow(r: Results): string {
  const [s0, s1, s2] = r.snapshots;
  const phase = (a: Snapshot, b: Snapshot, res: PhaseResult) => {
    const cpu = b.usage.cpu - a.usage.cpu;
    const share = (cpu / (res.allArrivedMs / 1000)) * 100;
    return `${((cpu / objects) * 1000).toFixed(2)} ms (${share.toFixed(0)}%)`;
  };
  return `${phase(s0, s1, r.spec)} / ${phase(s1, s2, r.status)}`;
}

/**
 * The mean latency of the konnector's writes in each phase (its rest_client_request_duration):
 * with a fixed number of sync workers each waiting for its write, this bounds the throughput.
 */
export function writeLatencyRow(r: Results): string {
  const [s0, s1, s2] = r.snapshots;
  const mean = (a: Snapshot, b: Snapshot) =>
    ms(((b.writes.seconds - a.writes.seconds) / (b.writes.count - a.writes.count)) * 1000);
  return `${mean(s0, s1)} / ${mean(s1, s2)}`;
}

/** Per object, by controller: how often the konnector's controllers ran. */
export function reconcileBreakdown(reconciles: Map<string, number>): string {
  const byController = new Map<string, number>();
  for (const [key, n] of reconciles) {
    const [controller = '', result = ''] = key.split(' ');
    const label = result === 'success' ? controller : `${controller} (${result})`;
    byController.set(label, (byController.get(label) ?? 0) + n);
  }
  const entries = [...byController]
    .filter(([, n]) => n / objects >= 0.005)
    .sort((a, b) => b[1] - a[1]);
  return entries.map(([label, n]) => `${label} ${perObject(n)}`).join(', ') || 'none';
}

export function report(env: Env, r: Results): string {
  const [idle, afterSpec, after] = r.snapshots.map((s) => s.usage) as [Usage, Usage, Usage];
  const perThousand = ((after.rss - idle.rss) / objects) * 1000;
  const row = (name: string, value: string) => tableRow([name, value], columns);
  const byApiservers = [r.specRequests, r.statusRequests].reduce(
    (sum, k) => sum + total(k.provider) + total(k.consumer),
    0,
  );
  const bySelf = total(r.specRequests.selfReported) + total(r.statusRequests.selfReported);
  const memoryRow = (m: (x: Usage) => number) =>
    `${mib(m(idle))} → ${mib(m(afterSpec))} → ${mib(m(after))} MiB`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const table = [
    '',
    `konnector benchmark: ${objects} cowboys, ${concurrency} in flight, consumer ` +
      `${consumerNamespace} → provider ${env.providerNamespace} (${availableParallelism()} CPUs, load ${load})`,
    row('measure', 'figure'),
    tableRule(columns),
    row('spec sync consumer → provider p50 / p99 / max', latencyRow(r.spec)),
    row(`all ${objects} on the provider after`, throughputRow(r.spec)),
    row('status sync provider → consumer p50 / p99 / max', latencyRow(r.status)),
    row(`all ${objects} statuses on the consumer after`, throughputRow(r.status)),
    row(
      'konnector VmRSS idle → after spec → after status',
      memoryRow((m) => m.rss),
    ),
    row('konnector idle VmRSS', againstTarget(idle.rss, targets.idleMiB, 'MiB')),
    row(
      'konnector RSS growth per 1,000 objects',
      againstTarget(perThousand, targets.perThousandMiB, 'MiB', 1),
    ),
    row(
      'konnector VmHWM idle → after spec → after status',
      memoryRow((m) => m.hwm),
    ),
    row(
      'konnector V8 heap used idle → spec → status',
      memoryRow((m) => m.heap),
    ),
    row('konnector CPU per object: spec / status sync', cpuRow(r)),
    row('konnector mean API write latency: spec / status', writeLatencyRow(r)),
    row('requests/object spec sync, consumer: R / W', requestsRow(r.specRequests.consumer)),
    row('requests/object spec sync, provider: R / W', requestsRow(r.specRequests.provider)),
    row('requests/object status sync, consumer: R / W', requestsRow(r.statusRequests.consumer)),
    row('requests/object status sync, provider: R / W', requestsRow(r.statusRequests.provider)),
    row("requests: apiservers vs the konnector's count", `${byApiservers} vs ${bySelf}`),
    '',
    'requests per object by verb and resource (from the apiservers):',
    `  spec sync, consumer:   ${breakdown(r.specRequests.consumer)}`,
    `  spec sync, provider:   ${breakdown(r.specRequests.provider)}`,
    `  status sync, consumer: ${breakdown(r.statusRequests.consumer)}`,
    `  status sync, provider: ${breakdown(r.statusRequests.provider)}`,
    'konnector reconciles per object:',
    `  spec sync:   ${reconcileBreakdown(r.specRequests.reconciles)}`,
    `  status sync: ${reconcileBreakdown(r.statusRequests.reconciles)}`,
    '',
  ];
  return [
    ...table,
    ...claimsReport(r.claims),
    ...figureLines(r, idle, after, perThousand),
    ...claimFigureLines(r.claims),
    '',
  ].join('\n');
}

/** Everything a konnector request count says per object: reads / writes on each side. */
export function claimRequestsRow(k: KonnectorRequests): string {
  return `consumer ${requestsRow(k.consumer)}, provider ${requestsRow(k.provider)}`;
}

export const totalPerObject = (k: KonnectorRequests): number =>
  (total(k.consumer) + total(k.provider)) / objects;

export function claimsReport(c: ClaimResults): string[] {
  const row = (name: string, value: string) => tableRow([name, value], columns);
  const cpu = (p: ClaimPhase) => `${((p.cpu / objects) * 1000).toFixed(2)} ms`;
  const phaseRows = (label: string, p: ClaimPhase) => [
    row(label, ''),
    row('  p50 / p99 / max', latencyRow(p.result)),
    row(`  all ${objects} there after`, throughputRow(p.result)),
    row('  requests/object R / W', claimRequestsRow(p.requests)),
    row('  requests/object, both clusters', totalPerObject(p.requests).toFixed(2)),
    row('  konnector CPU per object', cpu(p)),
  ];
  const toConsumer = c.toConsumer;
  const lines = [
    '',
    `claimed objects: ${objects} Secrets each way; ${objects + 1} cowboys (the referencing objects)`,
    row('measure', 'figure'),
    tableRule(columns),
    ...phaseRows('claimed Secret consumer → provider', c.toProvider),
    ...phaseRows(`reference change, ${objects + 1} referencing`, c.references),
    ...(typeof toConsumer === 'string'
      ? [row('provider-owned Secret provider → consumer', 'skipped (see below)')]
      : phaseRows('provider-owned Secret provider → consumer', toConsumer)),
    '',
    'claimed-object requests per object by verb and resource (from the apiservers):',
    `  consumer → provider, consumer: ${breakdown(c.toProvider.requests.consumer)}`,
    `  consumer → provider, provider: ${breakdown(c.toProvider.requests.provider)}`,
    `  reference change, consumer:    ${breakdown(c.references.requests.consumer)}`,
    `  reference change, provider:    ${breakdown(c.references.requests.provider)}`,
  ];
  if (typeof toConsumer === 'string') {
    lines.push(`  provider → consumer: ${toConsumer}`);
  } else {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const p50 = (p: ClaimPhase) => percentile(p.result.latencies, 0.5);
    const p99 = (p: ClaimPhase) => percentile(p.result.latencies, 0.99);
    lines.push(
      `  provider → consumer, consumer: ${breakdown(toConsumer.requests.consumer)}`,
      `  provider → consumer, provider: ${breakdown(toConsumer.requests.provider)}`,
      `provider → consumer vs consumer → provider: p50 ${ratio(p50(toConsumer), p50(c.toProvider))}, ` +
        `p99 ${ratio(p99(toConsumer), p99(c.toProvider))}, requests/object ` +
        ratio(totalPerObject(toConsumer.requests), totalPerObject(c.toProvider.requests)),
    );
  }
  const [a, b] = c.scaling;
  const perChange = (x: ReferenceSample) => (x.claimSeconds / x.changes) * 1000;
  const cpuPerChange = (x: ReferenceSample) => (x.cpu / x.changes) * 1000;
  const marginal = ((perChange(b) - perChange(a)) / (b.referencing - a.referencing)) * 1000;
  const sampleRow = (x: ReferenceSample) =>
    `  ${x.referencing} cowboys: claim reconcile time ${perChange(x).toFixed(2)} ms/change ` +
    `(${(x.claimReconciles / x.changes).toFixed(2)} reconciles), konnector CPU ` +
    `${cpuPerChange(x).toFixed(2)} ms/change, requests ` +
    `${((totalPerObject(x.requests) * objects) / x.changes).toFixed(2)}/change`;
  lines.push(
    `a reference change one at a time, to a claimed Secret already copied (${a.changes} each):`,
    sampleRow(a),
    sampleRow(b),
    `  ${b.referencing}/${a.referencing} cowboys: claim reconcile time per change ` +
      `${(perChange(b) / perChange(a)).toFixed(2)}×, CPU ${(cpuPerChange(b) / cpuPerChange(a)).toFixed(2)}×; ` +
      `${marginal.toFixed(2)} µs more per change per referencing object (≈0 when indexed)`,
    ...[a, b].flatMap((x) => {
      const perChangeOf = (k: Counts) =>
        new Map([...k].map(([key, n]) => [key, (n * objects) / x.changes]));
      return [
        `  ${x.referencing} cowboys, requests: consumer ${breakdown(perChangeOf(x.requests.consumer))}; provider ${breakdown(perChangeOf(x.requests.provider))}`,
        `  ${x.referencing} cowboys, reconciles: ${reconcileBreakdown(perChangeOf(x.requests.reconciles))}`,
      ];
    }),
  );
  lines.push(
    'konnector reconciles per object:',
    `  claims consumer → provider: ${reconcileBreakdown(c.toProvider.requests.reconciles)}`,
    `  reference change:           ${reconcileBreakdown(c.references.requests.reconciles)}`,
    ...(typeof toConsumer === 'string'
      ? []
      : [`  claims provider → consumer: ${reconcileBreakdown(toConsumer.requests.reconciles)}`]),
    '',
  );
  return lines;
}

export function claimFigureLines(c: ClaimResults): string[] {
  const phases: [string, ClaimPhase | string][] = [
    ['claims_to_provider', c.toProvider],
    ['claims_reference_change', c.references],
    ['claims_to_consumer', c.toConsumer],
  ];
  const samples = c.scaling.flatMap((x) => [
    `claims_reference_change_${x.referencing}_reconcile_ms ${((x.claimSeconds / x.changes) * 1000).toFixed(3)}`,
    `claims_reference_change_${x.referencing}_cpu_ms ${((x.cpu / x.changes) * 1000).toFixed(2)}`,
  ]);
  return [
    ...samples,
    ...phases.flatMap(([name, p]) =>
      typeof p === 'string'
        ? [`${name}_skipped 1`]
        : [
            `${name}_p50_ms ${percentile(p.result.latencies, 0.5).toFixed(1)}`,
            `${name}_p99_ms ${percentile(p.result.latencies, 0.99).toFixed(1)}`,
            `${name}_all_s ${(p.result.allArrivedMs / 1000).toFixed(2)}`,
            `${name}_requests_per_object ${totalPerObject(p.requests).toFixed(2)}`,
            `${name}_cpu_ms_per_object ${((p.cpu / objects) * 1000).toFixed(2)}`,
          ],
    ),
  ];
}

/** One `name value` line per figure, for scripts. */
export function figureLines(r: Results, idle: Usage, after: Usage, perThousand: number): string[] {
  const p = (res: PhaseResult, q: number) => percentile(res.latencies, q).toFixed(1);
  const phases = [
    ['spec', r.spec, r.specRequests],
    ['status', r.status, r.statusRequests],
  ] as const;
  return [
    ...phases.flatMap(([phase, res]) => [
      `${phase}_sync_p50_ms ${p(res, 0.5)}`,
      `${phase}_sync_p99_ms ${p(res, 0.99)}`,
      `${phase}_sync_all_s ${(res.allArrivedMs / 1000).toFixed(2)}`,
      `${phase}_sync_objects_per_s ${ratePerS(res.allArrivedMs).toFixed(0)}`,
    ]),
    `konnector_rss_idle_mib ${idle.rss.toFixed(1)}`,
    `konnector_rss_after_mib ${after.rss.toFixed(1)}`,
    `konnector_hwm_after_mib ${after.hwm.toFixed(1)}`,
    `konnector_rss_mib_per_1000_objects ${perThousand.toFixed(1)}`,
    ...phases.flatMap(([phase, , k]) =>
      (['consumer', 'provider'] as const).flatMap((side) => {
        const { reads, writes } = readsAndWrites(k[side]);
        return [
          `${phase}_sync_${side}_reads_per_object ${perObject(reads)}`,
          `${phase}_sync_${side}_writes_per_object ${perObject(writes)}`,
        ];
      }),
    ),
  ];
}
