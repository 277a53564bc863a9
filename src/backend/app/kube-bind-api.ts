// The first step of the backend's start: the kube-bind.io API must be served before any
// controller or handler touches it. With --install-crds (the default) the backend applies its CRDs
// with server-side apply — an upgrade of the backend upgrades them in place — and waits until they
// are Established; without it, it only checks they are there and says what is missing. With
// installation on it also applies the ValidatingAdmissionPolicy that keeps consumers off the
// provider's claimed objects (serviceexportrbac/admission-policy.ts).
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { Logger } from 'pino';
import { kubeBindCRDs } from '../../apis/kubebind/crds/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { installCRDs, isEstablished } from '../../kube/crds.ts';
import { ignoreNotFound } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { CustomResourceDefinitions } from '../../kube/resources.ts';
import { ensureProviderOwnedClaimsPolicy } from '../controllers/serviceexportrbac/admission-policy.ts';

export const crdFieldManager = 'kube-bind-ts-backend';

export interface KubeBindAPIOptions {
  install: boolean;
  log: Logger;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The CRDs to ensure; all of kube-bind.io unless given (tests use copies in other groups). */
  crds?: readonly CustomResourceDefinition[];
}

/** The kube-bind.io CRDs are missing or not Established, and installing them is off. */
export class KubeBindAPIMissingError extends Error {
  constructor(missing: readonly string[]) {
    super(
      `the kube-bind.io API is not ready on the provider cluster: ${missing.join(', ')}; ` +
        'apply deploy/crd/ or start the backend with --install-crds=true',
    );
    this.name = 'KubeBindAPIMissingError';
  }
}

export async function ensureKubeBindAPI(
  client: KubeClient,
  opts: KubeBindAPIOptions,
): Promise<void> {
  const crds = opts.crds ?? kubeBindCRDs();
  const names = crds.map((crd) => crd.metadata?.name ?? '');
  if (opts.install) {
    const started = Date.now();
    await installCRDs(client, crds, {
      fieldManager: crdFieldManager,
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
      ...(opts.signal && { signal: opts.signal }),
    });
    opts.log.info({ crds: names.length, ms: Date.now() - started }, 'kube-bind.io CRDs applied');
    // Only with the real kube-bind.io API (tests pass copies of CRDs in groups of their own).
    if (!opts.crds) await ensureProviderOwnedClaimsPolicy(client, opts.log, opts.signal);
    return;
  }
  const live = new ResourceClient(client, CustomResourceDefinitions);
  const missing: string[] = [];
  for (const name of names) {
    const crd = await ignoreNotFound(live.get(name, opts.signal));
    if (!crd) missing.push(`${name} (not found)`);
    else if (!isEstablished(crd)) missing.push(`${name} (not Established)`);
  }
  if (missing.length > 0) throw new KubeBindAPIMissingError(missing);
  opts.log.info({ crds: names.length }, 'kube-bind.io CRDs present (installation is off)');
}
