// Direct etcd operations for fault tests, through etcd's JSON gateway (v3 API over HTTP).

interface RangeResponse {
  header?: { revision?: string };
}

/** The store's current revision (what kube-apiserver calls the resourceVersion). */
export async function etcdRevision(endpoint: string): Promise<number> {
  const res = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/').toString('base64'), count_only: true }),
  });
  if (!res.ok) throw new Error(`etcd range: ${res.status} ${await res.text()}`);
  const revision = Number(((await res.json()) as RangeResponse).header?.revision);
  if (!Number.isSafeInteger(revision)) throw new Error('etcd range: no revision in the response');
  return revision;
}

/**
 * Compacts etcd's history up to its current revision: every older resourceVersion is gone, so
 * a watch resuming from one gets 410 Gone. Returns the revision compacted to.
 */
export async function compactEtcd(endpoint: string): Promise<number> {
  const revision = await etcdRevision(endpoint);
  const res = await fetch(`${endpoint}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  if (!res.ok) throw new Error(`etcd compaction: ${res.status} ${await res.text()}`);
  return revision;
}
