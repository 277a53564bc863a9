// What a request path is about, for metrics and logs: the verb as Kubernetes counts it (list and
// watch are GETs on a collection) and the resource. Paths are relative to the client's base URL;
// a kcp logical-cluster prefix (`/clusters/<name>`) is skipped.

export interface RequestInfo {
  /** get, list, watch, create, update, patch, delete, deletecollection, or the HTTP method lowercased. */
  verb: string;
  /** `resource` or `resource/subresource`; `''` for non-resource paths such as `/version`. */
  resource: string;
}

export function describeRequest(
  method: string,
  path: string,
  query: Readonly<Record<string, unknown>> = {},
): RequestInfo {
  const segments = resourceSegments(path);
  if (segments === undefined) return { verb: method.toLowerCase(), resource: '' };
  // After the group/version: [namespaces, <ns>,] resource [, name [, subresource]]
  let rest = segments;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  const hasName = name !== undefined;
  const label = subresource ? `${resource}/${subresource}` : resource;
  return { verb: verbFor(method.toUpperCase(), hasName, isWatch(query)), resource: label };
}

function resourceSegments(path: string): string[] | undefined {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  let i = 0;
  if (parts[i] === 'clusters') i += 2;
  if (parts[i] === 'api')
    i += 2; // api/v1
  else if (parts[i] === 'apis')
    i += 3; // apis/<group>/<version>
  else return undefined;
  return i <= parts.length ? parts.slice(i) : undefined;
}

function isWatch(query: Readonly<Record<string, unknown>>): boolean {
  const w = query['watch'];
  return w === true || w === 'true' || w === 1 || w === '1';
}

function verbFor(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
