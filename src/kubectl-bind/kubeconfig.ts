// Kubeconfigs as the plugin meets them: the consumer cluster's (--kubeconfig, else $KUBECONFIG —
// a list of files merged as kubectl merges them — else ~/.kube/config; --context), and the
// provider's, which arrives in the BindingResponse and names the provider namespace in its
// current context (docs/protocol.md §6.4 step 2, §7.2).
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { KubeClient } from '../kube/client.ts';
import {
  connectionFromKubeconfig,
  connectionInCluster,
  type ClusterConnection,
} from '../kube/config.ts';
import { CommandError } from './errors.ts';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');

export const pluginUserAgent = 'kubectl-bind';

/** Where the consumer's kubeconfig comes from. */
export interface ConsumerKubeconfigFlags {
  kubeconfig?: string;
  context?: string;
}

/** The consumer cluster: a client and how to name it in messages. */
export interface ConsumerCluster {
  client: KubeClient;
  /** e.g. `https://127.0.0.1:6443 (context kind-consumer)`. */
  description: string;
}

/** What a kubeconfig file holds, as far as this plugin looks. */
interface KubeconfigDocument {
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
  contexts?: { name?: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
  [key: string]: unknown;
}

/**
 * The consumer cluster's kubeconfig, resolved as kubectl does: --kubeconfig (must exist), else
 * every existing file of $KUBECONFIG (merged: the first file to define a name or the current
 * context wins), else ~/.kube/config, else the pod's in-cluster config.
 */
export async function openConsumerCluster(
  flags: ConsumerKubeconfigFlags,
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): Promise<ConsumerCluster> {
  const loaded = loadConsumerKubeconfig(flags, env, home);
  let conn: ClusterConnection;
  try {
    conn =
      loaded === 'in-cluster'
        ? await connectionInCluster()
        : await connectionFromKubeconfig({
            text: loaded.text,
            ...(flags.context !== undefined && { context: flags.context }),
          });
  } catch (err) {
    const where = loaded === 'in-cluster' ? 'the in-cluster config' : loaded.source;
    throw new CommandError(`cannot use ${where}: ${(err as Error).message}`);
  }
  const context = loaded === 'in-cluster' ? 'in-cluster' : `context ${loaded.context}`;
  return {
    client: new KubeClient(conn, { userAgent: pluginUserAgent }),
    description: `${conn.server} (${context})`,
  };
}

/** The merged kubeconfig text (paths made absolute) and its chosen context, or in-cluster. */
export function loadConsumerKubeconfig(
  flags: ConsumerKubeconfigFlags,
  env: NodeJS.ProcessEnv,
  home: string,
): { text: string; context: string; source: string } | 'in-cluster' {
  let files: string[];
  let source: string;
  if (flags.kubeconfig !== undefined) {
    if (!existsSync(flags.kubeconfig)) {
      throw new CommandError(`the kubeconfig ${flags.kubeconfig} (--kubeconfig) does not exist`);
    }
    files = [flags.kubeconfig];
    source = flags.kubeconfig;
  } else if (env['KUBECONFIG']) {
    const listed = env['KUBECONFIG'].split(delimiter).filter((p) => p !== '');
    files = listed.filter((p) => existsSync(p));
    source = `$KUBECONFIG (${listed.join(delimiter)})`;
    if (files.length === 0) {
      throw new CommandError(`no kubeconfig: none of the files in ${source} exists`);
    }
  } else {
    const path = join(home, '.kube', 'config');
    if (!existsSync(path)) {
      if (env['KUBERNETES_SERVICE_HOST'] && flags.context === undefined) return 'in-cluster';
      throw new CommandError(
        `no kubeconfig: ${path} does not exist; pass --kubeconfig or set KUBECONFIG`,
      );
    }
    files = [path];
    source = path;
  }
  const merged = mergeKubeconfigs(
    files.map((path) => {
      let doc: unknown;
      try {
        doc = parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new CommandError(`cannot read the kubeconfig ${path}: ${(err as Error).message}`);
      }
      if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
        throw new CommandError(`cannot read the kubeconfig ${path}: not a kubeconfig`);
      }
      return { path, doc: (doc ?? {}) as KubeconfigDocument };
    }),
  );
  const context = flags.context ?? merged['current-context'] ?? '';
  if (context === '') {
    throw new CommandError(`${source} has no current context: pass --context`);
  }
  if (!(merged.contexts ?? []).some((c) => c.name === context)) {
    const via = flags.context !== undefined ? ' (--context)' : '';
    throw new CommandError(`${source} has no context "${context}"${via}`);
  }
  return { text: stringify(merged), context, source };
}

/**
 * kubectl's merge of several kubeconfig files: for clusters, users and contexts the first file
 * to define a name wins, and so does the first `current-context`. Relative file references are
 * resolved against the directory of the file that holds them.
 */
export function mergeKubeconfigs(
  files: readonly { path: string; doc: KubeconfigDocument }[],
): KubeconfigDocument {
  const out: Required<Pick<KubeconfigDocument, 'clusters' | 'users' | 'contexts'>> &
    KubeconfigDocument = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [],
    users: [],
    contexts: [],
  };
  for (const { path, doc } of files) {
    const dir = dirname(resolve(path));
    const absolute = (entry: Record<string, unknown> | undefined, keys: readonly string[]) => {
      if (!entry) return entry;
      const copy = { ...entry };
      for (const key of keys) {
        const value = copy[key];
        if (typeof value === 'string' && value !== '' && !isAbsolute(value)) {
          copy[key] = resolve(dir, value);
        }
      }
      const exec = copy['exec'] as Record<string, unknown> | undefined;
      const command = exec?.['command'];
      // As client-go: an exec command is a file reference only when it contains a separator.
      if (typeof command === 'string' && command.includes('/') && !isAbsolute(command)) {
        copy['exec'] = { ...exec, command: resolve(dir, command) };
      }
      return copy;
    };
    for (const c of doc.clusters ?? []) {
      if (c.name !== undefined && !out.clusters.some((x) => x.name === c.name)) {
        const cluster = absolute(c.cluster, ['certificate-authority']);
        out.clusters.push({ ...c, ...(cluster && { cluster }) });
      }
    }
    for (const u of doc.users ?? []) {
      if (u.name !== undefined && !out.users.some((x) => x.name === u.name)) {
        const user = absolute(u.user, ['client-certificate', 'client-key', 'tokenFile']);
        out.users.push({ ...u, ...(user && { user }) });
      }
    }
    for (const c of doc.contexts ?? []) {
      if (c.name !== undefined && !out.contexts.some((x) => x.name === c.name)) {
        out.contexts.push(c);
      }
    }
    if (out['current-context'] === undefined && doc['current-context']) {
      out['current-context'] = doc['current-context'];
    }
  }
  return out;
}

/** Where a provider kubeconfig points: its current context's server and namespace. */
export interface ProviderTarget {
  server: string;
  namespace: string;
}

/**
 * The server and namespace of a kubeconfig's current context, or why it has none (undefined
 * namespace: the context has none). Throws for text that is not a usable kubeconfig.
 */
export function kubeconfigTarget(text: string): { server: string; namespace?: string } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`not YAML: ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error('not a kubeconfig');
  }
  const config = doc as KubeconfigDocument;
  const current = config['current-context'] ?? '';
  if (current === '') throw new Error('it has no current context');
  const context = (config.contexts ?? []).find((c) => c.name === current)?.context;
  if (!context) throw new Error(`its current context "${current}" is not defined`);
  const cluster = (config.clusters ?? []).find((c) => c.name === context.cluster)?.cluster;
  if (!cluster)
    throw new Error(`the cluster "${context.cluster ?? ''}" of "${current}" is missing`);
  const server = cluster['server'];
  if (typeof server !== 'string' || server === '') {
    throw new Error(`the cluster "${context.cluster ?? ''}" has no server`);
  }
  return {
    server,
    ...(typeof context.namespace === 'string' &&
      context.namespace !== '' && { namespace: context.namespace }),
  };
}

/** Two kubeconfigs point at the same provider when server (trailing `/` aside) and namespace match. */
export function sameTarget(a: ProviderTarget, b: { server: string; namespace?: string }): boolean {
  const norm = (s: string) => s.replace(/\/+$/, '');
  return norm(a.server) === norm(b.server) && a.namespace === b.namespace;
}
