// A kubeconfig that came from someone else (a provider's kubeconfig in a consumer Secret, a
// consumer's kubeconfig uploaded to the backend). Connecting with it must not make this process
// run a program (exec plugins, auth providers) or read its own files (certificate, key or token
// paths): only inline credentials are accepted. Parsing is YAML only; client-node never sees a
// kubeconfig this check refused.
import { parse } from 'yaml';

const fileFields = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];
const programFields = ['exec', 'auth-provider'];

/** What an inline kubeconfig's current context says. */
export interface InlineKubeconfig {
  text: string;
  /** The current context's cluster `server`. */
  server: string;
  /** The current context's namespace ('' when unset). */
  namespace: string;
}

/** Why a kubeconfig is refused; the message names the field at fault. */
export class KubeconfigRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigRejected';
  }
}

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `text` and checks it uses inline credentials only; throws KubeconfigRejected. */
export function parseInlineKubeconfig(text: string): InlineKubeconfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch {
    throw new KubeconfigRejected('not a kubeconfig: the YAML does not parse');
  }
  if (!isObject(doc)) throw new KubeconfigRejected('not a kubeconfig: not a YAML mapping');
  for (const [section, inner] of [
    ['clusters', 'cluster'],
    ['users', 'user'],
  ] as const) {
    for (const entry of arrayOf(doc[section])) {
      const body = isObject(entry) ? entry[inner] : undefined;
      if (!isObject(body)) continue;
      for (const field of [...fileFields, ...programFields]) {
        if (field in body) {
          throw new KubeconfigRejected(
            `uses "${field}": only inline credentials (certificate-authority-data, ` +
              'client-certificate-data, client-key-data, token) are accepted',
          );
        }
      }
    }
  }
  const current = typeof doc['current-context'] === 'string' ? doc['current-context'] : '';
  const context = named(doc['contexts'], current, 'context');
  if (!context) throw new KubeconfigRejected(`current-context "${current}" is not defined`);
  const clusterName = typeof context['cluster'] === 'string' ? context['cluster'] : '';
  const cluster = named(doc['clusters'], clusterName, 'cluster');
  const server = typeof cluster?.['server'] === 'string' ? cluster['server'] : '';
  if (!server) throw new KubeconfigRejected(`cluster "${clusterName}" has no server`);
  const namespace = typeof context['namespace'] === 'string' ? context['namespace'] : '';
  return { text, server, namespace };
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The `inner` body of the entry called `name` in a kubeconfig list. */
function named(list: unknown, name: string, inner: string): Doc | undefined {
  if (!name) return undefined;
  const entry = arrayOf(list).find((e) => isObject(e) && e['name'] === name);
  const body = isObject(entry) ? entry[inner] : undefined;
  return isObject(body) ? body : undefined;
}
