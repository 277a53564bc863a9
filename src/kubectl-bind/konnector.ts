// The konnector on the consumer cluster (docs/protocol.md §3.9, §6.4 step 4): the five objects
// (namespace, service account, RBAC, Deployment) are created or updated by server-side apply,
// the consumer kube-bind.io CRDs are installed (the konnector would install them itself once it
// runs; doing it here lets the binding be created right away; existing ones are left alone), and
// then the plugin waits until APIServiceBindings can be listed. As upstream v0.8.1, a running
// konnector newer than this plugin's image is not downgraded unless asked (--downgrade-konnector).
import { setTimeout as sleep } from 'node:timers/promises';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { consumerCRDs } from '../apis/kubebind/crds/index.ts';
import {
  konnectorName,
  konnectorNamespace,
  konnectorObjects,
  type KonnectorObjects,
} from '../apis/kubebind/konnector-manifests.ts';
import * as kb from '../apis/kubebind/types.gen.ts';
import type { KubeClient } from '../kube/client.ts';
import { installCRDs } from '../kube/crds.ts';
import { ignoreNotFound, NotFoundError } from '../kube/errors.ts';
import { ResourceClient, type KubeObject, type ResourceType } from '../kube/resource.ts';
import {
  ClusterRoleBindings,
  ClusterRoles,
  CustomResourceDefinitions,
  Deployments,
  Namespaces,
  RoleBindings,
  Roles,
  ServiceAccounts,
} from '../kube/resources.ts';
import { grantKonnectorRBAC } from '../apis/kubebind/konnector-grant.ts';
import type { ExportRequestDocument } from '../apis/kubebind/documents.ts';

/** The field manager of everything the plugin applies. */
export const fieldManager = 'kubectl-bind';

/** `Kind namespace/name` of each object, in apply order. */
export function describeKonnector(objects: KonnectorObjects): string[] {
  return Object.values(objects).map((o: KubeObject) => {
    const ns = o.metadata?.namespace;
    return `${o.kind ?? ''} ${ns ? `${ns}/` : ''}${o.metadata?.name ?? ''}`;
  });
}

/** The names of the CRDs installed with the konnector. */
export function consumerCRDNames(): string[] {
  return consumerCRDs().map((crd) => crd.metadata?.name ?? '');
}

/** The image to apply, and a line for stderr when it is not simply the one asked for. */
export interface KonnectorImageDecision {
  image: string;
  note?: string;
}

/**
 * Upstream v0.8.1's version rule: a running konnector of the same repository whose tag is a
 * newer semver than `desiredImage`'s is kept unless `allowDowngrade`. Anything not comparable
 * (no Deployment, another repository, a digest, `latest`, `main`, `unknown`) gets `desiredImage`.
 */
export function konnectorImageDecision(
  runningImage: string | undefined,
  desiredImage: string,
  allowDowngrade: boolean,
): KonnectorImageDecision {
  const desired = splitImage(desiredImage);
  const running = runningImage === undefined ? undefined : splitImage(runningImage);
  if (!desired || !running || running.repository !== desired.repository) {
    return { image: desiredImage };
  }
  const runningVersion = parseVersion(running.tag);
  const desiredVersion = parseVersion(desired.tag);
  if (!runningVersion || !desiredVersion) return { image: desiredImage };
  if (compareVersions(runningVersion, desiredVersion) <= 0) return { image: desiredImage };
  const newer = `The running konnector (${running.tag}) is newer than this plugin's (${desired.tag})`;
  return allowDowngrade
    ? { image: desiredImage, note: `${newer}: downgrading it (--downgrade-konnector).` }
    : {
        image: runningImage ?? desiredImage,
        note: `${newer}: keeping it; --downgrade-konnector would downgrade it.`,
      };
}

/** `repo:tag` split at the last ':'; undefined for a digest or an image without a tag. */
function splitImage(image: string): { repository: string; tag: string } | undefined {
  // A digest pins content, not a version: there is nothing to compare.
  if (image.includes('@')) return undefined;
  const colon = image.lastIndexOf(':');
  // `registry:5000/konnector` has a port, not a tag.
  if (colon < 0 || image.includes('/', colon)) return undefined;
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

interface Version {
  core: [number, number, number];
  /** Dot-separated pre-release identifiers; empty for a release. */
  pre: string[];
}

/** `v1.2.3`, `1.2.3-rc.1`, `v1.2.3+build`; undefined for anything else (`latest`, `main`, …). */
export function parseVersion(tag: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(tag);
  if (!m) return undefined;
  return {
    core: [Number(m[1]), Number(m[2]), Number(m[3])],
    pre: m[4] === undefined ? [] : m[4].split('.'),
  };
}

/** Semver precedence: negative when `a` sorts before `b` (build metadata does not count). */
export function compareVersions(a: Version, b: Version): number {
  const core = compareLists(a.core, b.core, (x, y) => x - y);
  if (core !== 0) return core;
  // A pre-release sorts before its release.
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  return compareLists(a.pre, b.pre, compareIdentifiers);
}

/** Element by element; when one list is a prefix of the other, the shorter sorts first. */
function compareLists<T>(a: readonly T[], b: readonly T[], cmp: (x: T, y: T) => number): number {
  for (const [i, x] of a.entries()) {
    const y = b[i];
    if (y === undefined) return 1;
    const d = cmp(x, y);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Numeric identifiers compare as numbers and sort before alphanumeric ones. */
function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The image of the konnector container of `deployment` (its first container otherwise). */
export function runningKonnectorImage(deployment: Deployment | undefined): string | undefined {
  const containers = deployment?.spec?.template.spec?.containers ?? [];
  return (containers.find((c) => c.name === konnectorName) ?? containers[0])?.image;
}

/** Reads Deployment kube-bind/konnector (if any) and decides which image to apply. */
export async function decideKonnectorImage(
  client: KubeClient,
  image: string,
  allowDowngrade: boolean,
): Promise<KonnectorImageDecision> {
  const deployments = new ResourceClient(client, Deployments, konnectorNamespace);
  const running = runningKonnectorImage(await ignoreNotFound(deployments.get(konnectorName)));
  return konnectorImageDecision(running, image, allowDowngrade);
}

/**
 * Creates or updates the konnector's objects (server-side apply, taking over the fields this
 * plugin sets; fields others set, e.g. host aliases of the one-click apply, stay) and installs
 * the consumer CRDs. The image is `image` unless a newer konnector runs (see
 * konnectorImageDecision); the decision is returned so the caller can say what was applied.
 */
export async function deployKonnector(
  client: KubeClient,
  image: string,
  allowDowngrade = false,
): Promise<KonnectorImageDecision> {
  const decision = await decideKonnectorImage(client, image, allowDowngrade);
  const objects = konnectorObjects({ image: decision.image });
  const apply = async <T extends KubeObject>(type: ResourceType<T>, obj: T) => {
    await new ResourceClient(client, type).apply(obj, { fieldManager, force: true });
  };
  await apply(Namespaces, objects.namespace);
  await apply(ServiceAccounts, objects.serviceAccount);
  await apply(ClusterRoles, objects.clusterRole);
  await apply(ClusterRoleBindings, objects.clusterRoleBinding);
  await apply(Roles, objects.role);
  await apply(RoleBindings, objects.roleBinding);
  await apply(Deployments, objects.deployment);
  // Only missing CRDs: a running konnector owns (and may have upgraded) the ones it installed.
  const crds = new ResourceClient(client, CustomResourceDefinitions);
  const missing: CustomResourceDefinition[] = [];
  for (const crd of consumerCRDs()) {
    if ((await ignoreNotFound(crds.get(crd.metadata?.name ?? ''))) === undefined) {
      missing.push(crd);
    }
  }
  if (missing.length > 0) await installCRDs(client, missing, { fieldManager });
  return decision;
}

/**
 * Waits until APIServiceBindings can be listed (their CRD is served). `timeoutMs` 0 waits
 * without limit; `onWait` is called once if the first attempt fails.
 */
export async function waitForBindingsAPI(
  client: KubeClient,
  timeoutMs: number,
  onWait: () => void,
  intervalMs = 1000,
): Promise<boolean> {
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await bindings.list({ limit: 1 });
      return true;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (attempt === 0) onWait();
    if (timeoutMs > 0 && Date.now() + intervalMs > deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Grants the konnector what syncing `binding` needs (konnector-rbac.ts): a ClusterRole and
 * binding owned by the APIServiceBinding, so they go with it. Applied here, by the user who
 * binds, because the konnector cannot grant itself rights it does not hold.
 */
export async function grantKonnector(
  client: KubeClient,
  binding: kb.APIServiceBinding,
  request: Pick<ExportRequestDocument, 'spec'>,
): Promise<string> {
  return grantKonnectorRBAC(
    client,
    {
      binding: binding.metadata?.name ?? '',
      resources: request.spec.resources,
      permissionClaims: request.spec.permissionClaims ?? [],
    },
    { kind: 'APIServiceBinding', ...(binding.metadata && { metadata: binding.metadata }) },
    fieldManager,
  );
}
