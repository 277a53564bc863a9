// `kubectl bind apiservice --template-name T --name N` (docs/protocol.md §6.3): the consumer
// cluster's identity, POST /api/bind with the stored login, then the BindingResponse is bound
// into the consumer cluster (binder.ts).
import { ResourceClient } from '../kube/resource.ts';
import { Namespaces } from '../kube/resources.ts';
import type { KubeClient } from '../kube/client.ts';
import { bindFromResponse, describeError } from './binder.ts';
import { authHeaders, requestJson } from './client.ts';
import { readConfig, selectServer, tokenProblem, type ServerEntry } from './config.ts';
import { CommandError } from './errors.ts';
import { openConsumerCluster } from './kubeconfig.ts';
import type { BindIO } from './binder.ts';
import type { ApiServiceOptions } from './options.ts';

export async function apiserviceCommand(opts: ApiServiceOptions, io: BindIO): Promise<void> {
  const config = await readConfig(opts.configFile);
  const { key, entry } = selectServer(config, opts.server);
  const problem = tokenProblem(key, entry, io.now());
  if (problem !== undefined) throw new CommandError(problem);

  const consumer = await openConsumerCluster(opts);
  try {
    const identity =
      opts.clusterIdentity ??
      (await clusterIdentity(consumer.client, opts.clusterIdentityNamespace));
    io.stderr(
      `Asking ${key} to bind template "${opts.templateName}" as "${opts.name}" for cluster identity ${identity}.\n`,
    );
    const response = await postBind(entry, {
      metadata: { name: opts.name, creationTimestamp: null },
      spec: {
        templateRef: { name: opts.templateName },
        clusterIdentity: { identity },
        author: '',
      },
      status: {},
    });
    await bindFromResponse(response, consumer, opts, io);
  } finally {
    await consumer.client.close();
  }
}

/**
 * The consumer cluster's identity at the provider: the UID of a namespace that lives as long as
 * the cluster (kube-system), as upstream computes it.
 */
export async function clusterIdentity(client: KubeClient, namespace: string): Promise<string> {
  let uid: string | undefined;
  try {
    uid = (await new ResourceClient(client, Namespaces).get(namespace)).metadata?.uid;
  } catch (err) {
    throw new CommandError(
      `cannot read namespace ${namespace} of the consumer cluster to identify it: ${describeError(err)}; pass --cluster-identity`,
    );
  }
  if (!uid) throw new CommandError(`namespace ${namespace} has no UID: pass --cluster-identity`);
  return uid;
}

/** POST <url>/api/bind (with `cluster_id` of the login): the BindingResponse, or a clear error. */
export async function postBind(server: ServerEntry, body: unknown): Promise<unknown> {
  const url = new URL('/api/bind', server.url);
  if (server.cluster) url.searchParams.set('cluster_id', server.cluster);
  const templateName = (body as { spec?: { templateRef?: { name?: string } } }).spec?.templateRef
    ?.name;
  const what = `binding template "${templateName ?? ''}"`;
  return requestJson(url, { method: 'POST', headers: authHeaders(server), body }, what, server);
}
