// A small .heapsnapshot analyzer: self size by constructor (object nodes by their class name,
// strings, code, arrays, … by node type), and the largest retainers (dominator-tree retained
// sizes, Cooper–Harvey–Kennedy), each with the edge it is reached by.
// Usage: node bench/memory-heapsnapshot.ts <file.heapsnapshot> [top]
/* eslint-disable @typescript-eslint/no-non-null-assertion -- index arithmetic over the snapshot's
   flat arrays, every index within bounds by construction */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Group {
  name: string;
  count: number;
  self: number;
}
export interface Retainer {
  name: string;
  via: string;
  retained: number;
}
export interface Analysis {
  total: number;
  nodeCount: number;
  groups: Group[];
  retainers: Retainer[];
}

export function analyze(path: string, top = 15): Analysis {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [nType, nName, nSelf, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    meta.node_fields.indexOf(f),
  ) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) =>
    meta.edge_fields.indexOf(f),
  ) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = s.nodes.length / nf;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += s.nodes[i * nf + nEdges]! * ef;
  }
  firstEdge[count] = s.edges.length;
  const typeOf = (i: number) => nodeTypes[s.nodes[i * nf + nType]!]!;
  const label = (i: number): string => {
    const t = typeOf(i);
    if (t === 'object' || t === 'native' || t === 'closure' || t === 'synthetic')
      return `${t === 'object' ? '' : `(${t}) `}${s.strings[s.nodes[i * nf + nName]!]}`;
    if (t === 'hidden' || t === 'array') return `(${t}) ${s.strings[s.nodes[i * nf + nName]!]}`;
    return `(${t})`;
  };
  // Weak edges do not retain.
  const weak = edgeTypes.indexOf('weak');
  const edgeName = (e: number): string => {
    const t = edgeTypes[s.edges[e + eType]!];
    const v = s.edges[e + eName]!;
    return t === 'element' || t === 'hidden' ? `[${v}]` : String(s.strings[v]);
  };

  // Self size by constructor.
  const groups = new Map<string, Group>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const self = s.nodes[i * nf + nSelf]!;
    total += self;
    const name = label(i);
    const g = groups.get(name) ?? { name, count: 0, self: 0 };
    g.count++;
    g.self += self;
    groups.set(name, g);
  }

  // Dominators: post-order DFS from the root (node 0), then iterate to a fixed point.
  const post = new Int32Array(count).fill(-1);
  const order: number[] = [];
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  for (let i = 0; i < count; i++) cursor[i] = firstEdge[i]!;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    if (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + ef;
      if (s.edges[e + eType] === weak) continue;
      const w = s.edges[e + eTo]! / nf;
      if (!seen[w]) {
        seen[w] = 1;
        stack.push(w);
      }
    } else {
      stack.pop();
      post[v] = order.length;
      order.push(v);
    }
  }
  // Predecessors (reachable only).
  const predCount = new Uint32Array(count + 1);
  for (let v = 0; v < count; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef)
      if (s.edges[e + eType] !== weak) predCount[s.edges[e + eTo]! / nf]!++;
  }
  const predStart = new Uint32Array(count + 1);
  for (let v = 0; v < count; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
  const preds = new Uint32Array(predStart[count]!);
  const fill = predStart.slice();
  const via = new Int32Array(count).fill(-1);
  for (let v = 0; v < count; v++) {
    if (!seen[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      if (s.edges[e + eType] === weak) continue;
      const w = s.edges[e + eTo]! / nf;
      preds[fill[w]!++] = v;
      if (via[w] === -1) via[w] = e;
    }
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k]!;
      let d = -1;
      for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
        const u = preds[p]!;
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count);
  for (const v of order) retained[v]! += s.nodes[v * nf + nSelf]!;
  for (const v of order) if (v !== 0) retained[idom[v]!]! += retained[v]!;

  // The largest retainers that are neither the root nor (GC roots) nor holders of nearly all.
  const candidates = order
    .filter((v) => v !== 0 && typeOf(v) !== 'synthetic' && retained[v]! < total * 0.6)
    .sort((a, b) => retained[b]! - retained[a]!);
  const retainers: Retainer[] = [];
  const taken = new Set<number>();
  for (const v of candidates) {
    if (retainers.length >= top) break;
    // Skip a node dominated by one already listed: its size is inside that one's.
    let d = idom[v]!;
    let inside = false;
    while (d !== 0) {
      if (taken.has(d)) {
        inside = true;
        break;
      }
      d = idom[d]!;
    }
    if (inside) continue;
    taken.add(v);
    const e = via[v]!;
    const from = e === -1 ? '' : label(predOf(e));
    retainers.push({
      name: label(v),
      via: e === -1 ? '' : `${from}.${edgeName(e)}`,
      retained: retained[v]!,
    });
  }
  function predOf(e: number): number {
    // The node whose edge range holds e.
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firstEdge[mid]! <= e) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  return {
    total,
    nodeCount: count,
    groups: [...groups.values()].sort((a, b) => b.self - a.self).slice(0, top),
    retainers,
  };
}

const mib = (b: number) => (b / 1048576).toFixed(1);

export function formatAnalysis(a: Analysis): string {
  const lines = [
    `heap snapshot: ${mib(a.total)} MiB in ${a.nodeCount} nodes`,
    'self size by constructor            MiB   count',
    ...a.groups.map(
      (g) =>
        `  ${g.name.slice(0, 32).padEnd(32)} ${mib(g.self).padStart(6)} ${String(g.count).padStart(7)}`,
    ),
    'largest retainers (retained MiB, reached via)',
    ...a.retainers.map(
      (r) => `  ${mib(r.retained).padStart(6)}  ${r.name.slice(0, 40)}  ← ${r.via.slice(0, 60)}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

if (import.meta.main) {
  const [path, top] = process.argv.slice(2);
  if (!path) throw new Error('usage: node bench/memory-heapsnapshot.ts <file.heapsnapshot> [top]');
  process.stdout.write(formatAnalysis(analyze(path, Number(top ?? 15))));
}
