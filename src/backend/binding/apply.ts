// The one-click apply of the web UI (docs/protocol.md §3.16): provision the user's binding on the
// provider, then install what the consumer cluster needs with the kubeconfig the user uploaded:
// namespace kube-bind, the konnector, the provider kubeconfig secret and an
// APIServiceBindingBundle. Unlike upstream, the consumer-side kube-bind.io CRDs are applied here
// rather than waited for (up to two minutes) until a running konnector installs them.
//
// The uploaded kubeconfig is checked (allow-list, src/kube/inline-kubeconfig.ts) when the request
// is parsed, before anything is provisioned; the connection is built from that parse. Whatever
// then goes wrong on the consumer side is answered with one generic message: the backend connects
// wherever `server` points, so telling a refused port from a TLS error or a non-Kubernetes
// server would make it a scanner of the provider's network. The cause is logged (routes/binding.ts).
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { ApplyBindingResponse } from '../../apis/kubebind/documents.ts';
import { consumerCRDs } from '../../apis/kubebind/crds/index.ts';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { KubeClient } from '../../kube/client.ts';
import { installCRDs } from '../../kube/crds.ts';
import { ignoreAlreadyExists } from '../../kube/errors.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../../kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  Deployments,
  Namespaces,
  RoleBindings,
  Roles,
  Secrets,
  ServiceAccounts,
} from '../../kube/resources.ts';
import { grantKonnectorRBAC } from '../../apis/kubebind/konnector-grant.ts';
import { BackendError } from '../errors.ts';
import {
  konnectorName,
  konnectorNamespace,
  konnectorObjects,
  parseHostAlias,
  type KonnectorSettings,
} from '../../apis/kubebind/konnector-manifests.ts';
import type { InlineKubeconfig } from '../../kube/inline-kubeconfig.ts';
import { decodeConsumerKubeconfig } from './consumer-kubeconfig.ts';

export interface ApplyInput {
  consumerKubeconfig: string;
  /** The kubeconfig, checked and parsed. */
  consumer: InlineKubeconfig;
  bindingName: string;
  hostAliases?: KonnectorSettings['hostAliases'];
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const fieldManager = 'kube-bind-backend';

export function parseApplyRequest(body: unknown): ApplyInput {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const kubeconfig = o['consumerKubeconfig'];
  const name = o['bindingName'];
  if (typeof kubeconfig !== 'string' || kubeconfig === '') throw bad('Missing consumer kubeconfig');
  if (typeof name !== 'string' || name === '') throw bad('Missing binding name');
  if (name.length > 50 || !dns1123Label.test(name)) {
    throw bad(
      'Invalid binding name',
      'want lower-case letters, digits and -, at most 50 characters',
    );
  }
  const input: ApplyInput = {
    consumerKubeconfig: kubeconfig,
    consumer: decodeConsumerKubeconfig(kubeconfig),
    bindingName: name,
  };
  const aliases = o['hostAliases'];
  if (aliases !== undefined) {
    if (!Array.isArray(aliases) || !aliases.every((a): a is string => typeof a === 'string')) {
      throw bad('Invalid hostAliases', 'want a list of "IP:host1,host2" strings');
    }
    input.hostAliases = aliases.map((raw) => {
      const alias = parseHostAlias(raw);
      if (!alias) throw bad('Invalid hostAliases', `"${raw}" is not IP:host1,host2`);
      return alias;
    });
  }
  return input;
}

/** The answer to every failure on the consumer cluster (see the top of this file). */
export const consumerFailure = {
  message: 'Failed to apply binding to consumer cluster',
  details:
    'The consumer cluster of the uploaded kubeconfig could not be used: it could not be reached ' +
    'from the provider, its certificate was not trusted, it is not a Kubernetes API server, or ' +
    'it refused the request (the credentials need the rights to install the konnector and ' +
    'the binding). The provider can find the cause in the backend log.',
} as const;

/** A failure on the consumer cluster; `cause` holds what happened, for the log only. */
export class ConsumerClusterError extends BackendError {
  constructor(cause: unknown) {
    super('BadRequest', consumerFailure.message, { details: consumerFailure.details, cause });
    this.name = 'ConsumerClusterError';
  }
}

/** Installs the binding on the consumer cluster; returns whether the konnector was created. */
export async function applyToConsumer(
  input: ApplyInput,
  providerKubeconfig: string,
  konnector: KonnectorSettings,
  signal: AbortSignal,
  exports: readonly kb.APIServiceExport[] = [],
): Promise<ApplyBindingResponse> {
  try {
    return await installOnConsumer(input, providerKubeconfig, konnector, signal, exports);
  } catch (err) {
    // Nothing said by or about the consumer cluster reaches the answer, whatever its type.
    throw err instanceof ConsumerClusterError ? err : new ConsumerClusterError(err);
  }
}

async function installOnConsumer(
  input: ApplyInput,
  providerKubeconfig: string,
  konnector: KonnectorSettings,
  signal: AbortSignal,
  exports: readonly kb.APIServiceExport[],
): Promise<ApplyBindingResponse> {
  // A server the uploader names: bound what it may send back (its answers are single objects).
  const client = new KubeClient(input.consumer.connection, {
    userAgent: 'kube-bind-backend',
    maxResponseBytes: 16 * 2 ** 20,
  });
  try {
    await ensure(client, Namespaces, { metadata: { name: konnectorNamespace } });
    await installCRDs(client, consumerCRDs(), { fieldManager, timeoutMs: 30_000, signal });
    // Aliases sent with the request replace the backend's --konnector-host-alias.
    const hostAliases = input.hostAliases ?? konnector.hostAliases;
    const deployed = await ensureKonnector(client, {
      ...konnector,
      ...(hostAliases && { hostAliases }),
    });
    const secretName = `kubeconfig-${input.bindingName}`;
    const secret: Secret = {
      metadata: { name: secretName, namespace: konnectorNamespace },
      type: 'Opaque',
      stringData: { kubeconfig: providerKubeconfig },
    };
    await new ResourceClient(client, Secrets, konnectorNamespace).apply(secret, {
      fieldManager,
      force: true,
    });
    const bundle = await new ResourceClient(client, kb.APIServiceBindingBundles).apply(
      {
        metadata: { name: input.bindingName },
        spec: {
          kubeconfigSecretRef: {
            name: secretName,
            namespace: konnectorNamespace,
            key: 'kubeconfig',
          },
        },
      },
      { fieldManager, force: true },
    );
    await grantKonnector(client, bundle, exports);
    return {
      konnectorDeployed: deployed,
      bundleCreated: true,
      message: 'Konnector and binding bundle applied successfully',
    };
  } finally {
    await client.close();
  }
}

/** Creates the konnector's objects, or refreshes image and host aliases of an existing one. */
async function ensureKonnector(client: KubeClient, settings: KonnectorSettings): Promise<boolean> {
  const objects = konnectorObjects(settings);
  const deployments = new ResourceClient(client, Deployments, konnectorNamespace);
  const existing = await deployments.get(konnectorName).catch(() => undefined);
  if (existing) {
    await deployments.apply(objects.deployment, { fieldManager, force: true });
    return false;
  }
  await ensure(client, Namespaces, objects.namespace);
  await ensure(client, ServiceAccounts, objects.serviceAccount);
  await ensure(client, ClusterRoles, objects.clusterRole);
  await ensure(client, ClusterRoleBindings, objects.clusterRoleBinding);
  await ensure(client, Roles, objects.role);
  await ensure(client, RoleBindings, objects.roleBinding);
  await ensure(client, Deployments, objects.deployment);
  return true;
}

/**
 * The konnector's rights for each binding the bundle will make (one per export, named like it),
 * owned by the bundle: the konnector cannot grant them itself (konnector-rbac.ts).
 */
async function grantKonnector(
  client: KubeClient,
  bundle: kb.APIServiceBindingBundle,
  exports: readonly kb.APIServiceExport[],
): Promise<void> {
  for (const exp of exports) {
    await grantKonnectorRBAC(
      client,
      {
        binding: exp.metadata?.name ?? '',
        resources: exp.spec.resources,
        permissionClaims: exp.spec.permissionClaims ?? [],
      },
      { kind: 'APIServiceBindingBundle', ...(bundle.metadata && { metadata: bundle.metadata }) },
      fieldManager,
    );
  }
}

async function ensure(client: KubeClient, type: ResourceType, obj: KubeObject): Promise<void> {
  const ns = obj.metadata?.namespace;
  await ignoreAlreadyExists(new ResourceClient(client, type, ns).create(obj));
}

function bad(message: string, details?: string): BackendError {
  return new BackendError('BadRequest', message, details === undefined ? {} : { details });
}
