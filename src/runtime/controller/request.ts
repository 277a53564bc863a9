// What a controller queues: the cluster and the object's namespace/name. Encoded as one string so
// the work-queue can dedupe it.

export interface Request {
  /** The engaged cluster's name (kcp: the logical cluster). */
  cluster: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export interface ObjectRef {
  namespace?: string | undefined;
  name: string;
}

const sep = '\u0000';

export function requestKey(req: Request): string {
  return `${req.cluster}${sep}${req.namespace}${sep}${req.name}`;
}

export function parseRequestKey(key: string): Request {
  const [cluster = '', namespace = '', name = ''] = key.split(sep);
  return { cluster, namespace, name };
}

/** `namespace/name` or `name`, for logs. */
export function requestLabel(req: Request): string {
  return req.namespace ? `${req.namespace}/${req.name}` : req.name;
}
