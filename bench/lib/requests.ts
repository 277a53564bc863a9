import type { RequestRecord } from '../../src/kube/client.ts';

/** API requests by `VERB resource[/subresource]`, e.g. `PUT cowboys/status`. */
export type Counts = Map<string, number>;

const readVerbs = new Set(['GET', 'LIST', 'WATCH']);
/** The client's verbs in the apiserver's spelling, so that both counts use the same keys. */
const clientVerbs: Readonly<Record<string, string>> = { create: 'POST', update: 'PUT' };

/** A verb of the client (`create`) or of the apiserver (`POST`) in the apiserver's spelling. */
export const apiserverVerb = (verb: string): string => clientVerbs[verb] ?? verb.toUpperCase();

/** Whether a request with `verb` (either spelling) reads. */
export const isRead = (verb: string): boolean => readVerbs.has(apiserverVerb(verb));

/** The samples of one metric in a Prometheus text exposition: labels and value. */
export function* samples(
  text: string,
  metric: string,
): Generator<{ labels: Record<string, string>; value: number }> {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    yield { labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) };
  }
}

/** Counts requests on the resources in `counted` only (a subresource counts with its resource). */
export class RequestCounter {
  readonly #counted: ReadonlySet<string>;

  constructor(counted: Iterable<string>) {
    this.#counted = new Set(counted);
  }

  /** Adds `n` requests of `verb` on `resource` to `counts`, if the resource is counted. */
  tally(counts: Counts, verb: string, resource: string, n = 1): void {
    if (!this.#counted.has(resource.split('/')[0] ?? '')) return;
    const key = `${apiserverVerb(verb)} ${resource}`;
    counts.set(key, (counts.get(key) ?? 0) + n);
  }

  /**
   * A request counter in a Prometheus text exposition summed by verb and resource:
   * `apiserver_request_total` of a kube-apiserver, `rest_client_requests_total` of a client.
   */
  fromMetrics(text: string, metric: string): Counts {
    const counts: Counts = new Map();
    for (const { labels, value } of samples(text, metric)) {
      const sub = labels['subresource'];
      const resource = `${labels['resource'] ?? ''}${sub ? `/${sub}` : ''}`;
      this.tally(counts, labels['verb'] ?? '', resource, value);
    }
    return counts;
  }

  /** Requests a client observed (its own, to be subtracted from the apiserver's count). */
  fromRecords(records: readonly RequestRecord[]): Counts {
    const counts: Counts = new Map();
    for (const r of records) this.tally(counts, r.verb, r.resource);
    return counts;
  }
}

/** `a` less `b`, key by key. */
export function minus<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): Map<K, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) - v);
  return out;
}

/** Whether a count's key (`VERB resource`, either spelling) is a write. */
export const isWriteKey = (key: string): boolean => !isRead(key.split(' ')[0] ?? '');

/** Only the writes among counts keyed `verb …`. */
export const writesOnly = (c: ReadonlyMap<string, number>): Counts =>
  new Map([...c].filter(([key]) => isWriteKey(key)));

/** Reads (GET, LIST, WATCH) and writes among counts keyed `verb …`, in either spelling. */
export function readsAndWrites(c: ReadonlyMap<string, number>): { reads: number; writes: number } {
  let [reads, writes] = [0, 0];
  for (const [key, n] of c) {
    if (isWriteKey(key)) writes += n;
    else reads += n;
  }
  return { reads, writes };
}

/** All the requests in `c`. */
export const total = (c: ReadonlyMap<string, number>): number =>
  [...c.values()].reduce((a, b) => a + b, 0);
