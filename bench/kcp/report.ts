// The figures of all points: a table with a column per point, notes, the scaling from one point
// to the next, and one `name value` line per figure for scripts.
import { availableParallelism, loadavg } from 'node:os';
import { oidcUserName } from '../../src/backend/controllers/cluster/decide.ts';
import { readsAndWrites, total, type Counts } from '../lib/requests.ts';
import { tableRow, tableRule, type Column } from '../lib/table.ts';
import { concurrency, gc, points } from './config.ts';
import { fmt, kib, mib, s } from './format.ts';
import { above } from './memory.ts';
import type { PointResult } from './point.ts';

/** Clusters engaged in a point: the N workspaces and any other binder (the export's own). */
const engagedCount = (r: PointResult): number => r.n + r.others;

const columns: readonly Column[] = [{ width: 58 }, { width: 14, align: 'right' }];

export function report(results: readonly PointResult[]): string {
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return [
    '',
    `kcp provider benchmark: ${points.join(', ')} logical clusters binding kube-bind.io, ` +
      `${concurrency} set-up steps in flight (${availableParallelism()} CPUs, load ${load}; ` +
      `gc ${gc ? 'exposed' : 'NOT exposed: run with --expose-gc'})`,
    ...figureTable(results),
    '',
    ...notes(results),
    '',
    ...scaling(results),
    '',
    ...figures(results),
    '',
  ].join('\n');
}

/** A row a figure, a column a point. */
function figureTable(results: readonly PointResult[]): string[] {
  const row = (name: string, f: (r: PointResult) => string) =>
    tableRow([name, ...results.map(f)], columns);
  const perCluster = (r: PointResult) => {
    const engaged = above(r.engaged, r.baseline);
    const front = above(r.frontDoor.memory, r.engaged);
    return {
      heap: engaged.heap / engagedCount(r),
      rss: engaged.rss / engagedCount(r),
      frontHeap: front.heap / engagedCount(r),
      frontRss: front.rss / engagedCount(r),
    };
  };
  const reqs = (r: PointResult) => readsAndWrites(r.requests);
  return [
    tableRow(['measure', ...results.map((r) => `N=${r.n}`)], columns),
    tableRule(columns, results.length + 1),
    row(
      'set-up by kcp: workspaces created / binds',
      (r) => `${r.setup.created} / ${r.setup.bound}`,
    ),
    row('set-up by kcp: time (all Ready and Bound)', (r) => s(r.setup.seconds)),
    row('set-up by kcp: per bind (incl. workspace when new)', (r) =>
      s(r.setup.seconds / Math.max(1, r.setup.bound)),
    ),
    row(
      'kcp: wildcard LIST of all APIBindings (objects, JSON)',
      (r) => `${r.bindingsList.objects}, ${fmt(r.bindingsList.mib)} MiB`,
    ),
    row('kcp: that LIST took', (r) => s(r.bindingsList.seconds)),
    row('  … its objects in the heap (each provider caches all)', (r) =>
      mib(r.bindingsList.heapMiB),
    ),
    row('engage: all N announced by the provider', (r) => s(r.announcedS)),
    row('engage: all N in the manager (after Cluster default)', (r) => s(r.managerS)),
    row('engage: all N with controllers synced', (r) => s(r.syncedS)),
    row('engage: per cluster (synced time / N)', (r) => `${fmt((r.syncedS / r.n) * 1000)} ms`),
    row('Cluster default in all N (creates answered, LIST checks)', (r) => s(r.clusterDefaultS)),
    row(`ClusterRole(Binding) ${oidcUserName} in all N (same)`, (r) => s(r.clusterRoleS)),
    row('other engaged clusters (the export workspace binds too)', (r) => String(r.others)),
    row('  (per-cluster figures below divide by N + these)', () => ''),
    row('open watches, controllers (expected)', (r) => `${r.watches} (${r.expected.controllers})`),
    row(
      'open watches, front door (expected)',
      (r) => `${r.frontDoor.watches} (${r.expected.frontDoor})`,
    ),
    row('resources watched (controllers and front door)', (r) => String(r.watchedResources)),
    row('objects of the N served to the informers: engaged', (r) =>
      String(total(r.cached.engaged)),
    ),
    row('  … once all N unbound (kcp still serves them)', (r) => String(total(r.cached.unbound))),
    row('requests per cluster while engaging: reads', (r) =>
      fmt(reqs(r).reads / engagedCount(r), 2),
    ),
    row('requests per cluster while engaging: writes', (r) =>
      fmt(reqs(r).writes / engagedCount(r), 2),
    ),
    row('failed requests while engaging (all clusters)', (r) => String(total(r.failedRequests))),
    row('heap used: baseline before the manager', (r) => mib(r.baseline.heap)),
    row('heap used above baseline: N engaged', (r) => mib(r.engaged.heap - r.baseline.heap)),
    row('heap per engaged cluster', (r) => kib(perCluster(r).heap)),
    row('RSS: baseline', (r) => mib(r.baseline.rss)),
    row('RSS above baseline: N engaged', (r) => mib(r.engaged.rss - r.baseline.rss)),
    row('RSS per engaged cluster', (r) => kib(perCluster(r).rss)),
    row('front door: all N served after', (r) => s(r.frontDoor.servedS)),
    row('front door: heap per cluster', (r) => kib(perCluster(r).frontHeap)),
    row('front door: RSS per cluster', (r) => kib(perCluster(r).frontRss)),
    row('unbind N/2: deletes answered after', (r) => s(r.half.issuedS)),
    row(
      'unbind N/2: all disengaged (controllers / front door)',
      (r) => `${fmt(r.half.controllersS)} / ${fmt(r.half.frontDoorS)} s`,
    ),
    row(
      'unbind rest: all disengaged (controllers / front door)',
      (r) => `${fmt(r.rest.controllersS)} / ${fmt(r.rest.frontDoorS)} s`,
    ),
    row('heap above baseline: both views engaged', (r) =>
      mib(r.frontDoor.memory.heap - r.baseline.heap),
    ),
    row('heap above baseline: N/2 unbound', (r) => mib(r.half.memory.heap - r.baseline.heap)),
    row('  … ratio to both views engaged (~0.5 expected)', (r) =>
      fmt((r.half.memory.heap - r.baseline.heap) / (r.frontDoor.memory.heap - r.baseline.heap), 2),
    ),
    row('heap above baseline: all unbound', (r) => mib(r.rest.memory.heap - r.baseline.heap)),
    row('heap above baseline: stopped (controller specs held)', (r) =>
      mib(r.stopped.memory.heap - r.baseline.heap),
    ),
    row('heap above baseline: after the point, all dropped', (r) =>
      mib((r.released?.heap ?? NaN) - r.baseline.heap),
    ),
    row('RSS above baseline: engaged → N/2 → none → stopped', (r) =>
      [r.frontDoor.memory, r.half.memory, r.rest.memory, r.stopped.memory]
        .map((m) => fmt(m.rss - r.baseline.rss, 0))
        .join('→'),
    ),
    row('open watches both views: engaged → N/2 → none → stop', (r) =>
      [r.watches + r.frontDoor.watches, r.half.watches, r.rest.watches, r.stopped.watches].join(
        '→',
      ),
    ),
    row(
      'kcp RSS after set-up / at the end',
      (r) => `${fmt(r.setup.kcpRss, 0)}/${fmt(r.kcpRss, 0)}`,
    ),
    row('warnings and errors logged (cumulative)', (r) => String(r.problems)),
  ];
}

/** Where requests did not stop, the informers, and requests and cached objects by kind. */
function notes(results: readonly PointResult[]): string[] {
  const lines: string[] = [];
  const notQuiet = results.flatMap((r) =>
    [
      ['engaged', r.engagedQuiet],
      ['front door', r.frontDoor.quiet],
      ['N/2 unbound', r.half.quiet],
      ['all unbound', r.rest.quiet],
    ]
      .filter(([, q]) => !q)
      .map(([phase]) => `N=${r.n} ${String(phase)}`),
  );
  if (notQuiet.length > 0) {
    lines.push(`note: requests had not stopped for 3 s within 60 s at: ${notQuiet.join(', ')}`);
  }
  lines.push(`wildcard informers of the controllers (one watch each, whatever N):`);
  lines.push(`  ${results[0]?.expected.informers.join(', ') ?? ''}`);
  for (const r of results) {
    const top = [...r.requests]
      .sort((a, b) => b[1] - a[1])
      .filter(([, c]) => c / engagedCount(r) >= 0.05)
      .map(([k, c]) => `${k} ${fmt(c / engagedCount(r), 2)}`)
      .join(', ');
    lines.push(`requests per cluster while engaging, N=${r.n}: ${top || 'none'}`);
    if (r.failedRequests.size > 0) {
      const failedList = [...r.failedRequests].map(([k, c]) => `${k} ×${c}`).join(', ');
      lines.push(`  failed: ${failedList}`);
    }
  }
  for (const r of results) {
    const by = (c: Counts) => [...c].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    lines.push(`objects of the N=${r.n} served to the informers, engaged: ${by(r.cached.engaged)}`);
    lines.push(`  … once all unbound: ${by(r.cached.unbound)}`);
  }
  return lines;
}

/** How the figures grow from one point to the next, against the growth in N. */
function scaling(results: readonly PointResult[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < results.length; i++) {
    const [a, b] = [results[i - 1], results[i]];
    if (!a || !b) continue;
    const x = b.n / a.n;
    const ratio = (f: (r: PointResult) => number) => fmt(f(b) / f(a), 2);
    const heapPer = (r: PointResult) => (r.engaged.heap - r.baseline.heap) / engagedCount(r);
    out.push(
      `scaling N=${a.n} → N=${b.n} (×${fmt(x, 2)}): engage time ×${ratio((r) => r.syncedS)}, ` +
        `Cluster default everywhere ×${ratio((r) => r.clusterDefaultS)}, ` +
        `ClusterRole everywhere ×${ratio((r) => r.clusterRoleS)}, ` +
        `heap per cluster ×${ratio(heapPer)}, open watches ×${ratio((r) => r.watches)}, ` +
        `kcp set-up per bind ×${ratio((r) => r.setup.seconds / Math.max(1, r.setup.bound))}`,
    );
  }
  return out;
}

/** One `name value` line per figure, for scripts. */
function figures(results: readonly PointResult[]): string[] {
  return results.flatMap((r) => {
    const p = `n${r.n}_`;
    return [
      `${p}setup_s ${fmt(r.setup.seconds, 2)}`,
      `${p}engage_all_s ${fmt(r.syncedS, 3)}`,
      `${p}cluster_default_all_s ${fmt(r.clusterDefaultS, 2)}`,
      `${p}cluster_role_all_s ${fmt(r.clusterRoleS, 2)}`,
      `${p}open_watches ${r.watches}`,
      `${p}open_watches_expected ${r.expected.controllers}`,
      `${p}heap_kib_per_cluster ${fmt(((r.engaged.heap - r.baseline.heap) / engagedCount(r)) * 1024, 1)}`,
      `${p}rss_kib_per_cluster ${fmt(((r.engaged.rss - r.baseline.rss) / engagedCount(r)) * 1024, 1)}`,
      `${p}front_door_served_all_s ${fmt(r.frontDoor.servedS, 3)}`,
      `${p}unbind_half_disengaged_s ${fmt(r.half.controllersS, 2)}`,
      `${p}heap_mib_above_baseline_stopped ${fmt(r.stopped.memory.heap - r.baseline.heap, 2)}`,
    ];
  });
}
