// Installs CustomResourceDefinitions the way a controller that owns them should: server-side
// apply (so an upgrade changes the live CRD in place and fields other managers own are kept), then
// wait until every CRD is Established, so the first request for a new resource cannot 404.
// Established says nothing about an upgrade: the API server switches a changed CRD's schema a
// moment later (when its own watch sees the change), so a write right after an upgrade may still
// be validated and pruned by the old schema. Nothing in the API reports that switch.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';
import { ResourceClient } from './resource.ts';
import { CustomResourceDefinitions } from './resources.ts';

export interface InstallCRDsOptions {
  fieldManager: string;
  /** How long to wait for all CRDs to become Established. */
  timeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** A CRD could not be applied, or did not become Established in time. */
export class CRDInstallError extends Error {
  readonly crd: string;
  /** The CRD (or, on a timeout, every pending CRD with its conditions) and what failed. */
  constructor(crd: string, message: string, options?: ErrorOptions) {
    super(`CRD ${crd}: ${message}`, options);
    this.name = 'CRDInstallError';
    this.crd = crd;
  }
}

/** Applies `crds` (force: this manager owns their specs) and waits until all are Established. */
export async function installCRDs(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  opts: InstallCRDsOptions,
): Promise<void> {
  const resource = new ResourceClient(client, CustomResourceDefinitions);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '(unnamed)';
    try {
      await resource.apply(crd, {
        fieldManager: opts.fieldManager,
        force: true,
        ...(opts.signal && { signal: opts.signal }),
      });
    } catch (err) {
      throw new CRDInstallError(name, `apply failed: ${describeApiError(err)}`, { cause: err });
    }
  }
  await waitForEstablished(
    client,
    crds.map((crd) => crd.metadata?.name ?? ''),
    opts,
  );
}

/** Polls until every named CRD has Established=True; on timeout, says which did not and why. */
export async function waitForEstablished(
  client: KubeClient,
  names: readonly string[],
  opts: Pick<InstallCRDsOptions, 'timeoutMs' | 'pollIntervalMs' | 'signal'> = {},
): Promise<void> {
  const resource = new ResourceClient(client, CustomResourceDefinitions);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let pending = [...names];
  for (;;) {
    const observed = await Promise.all(
      pending.map(async (name) => ({ name, crd: await resource.get(name, opts.signal) })),
    );
    pending = observed.filter(({ crd }) => !isEstablished(crd)).map(({ name }) => name);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const why = observed
        .filter(({ name }) => pending.includes(name))
        .map(({ name, crd }) => `${name} (${notEstablishedReason(crd)})`);
      throw new CRDInstallError(why.join('; '), 'not Established in time');
    }
    await sleep(opts.pollIntervalMs ?? 100, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

export function isEstablished(crd: CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some(
    (c) => c.type === 'Established' && c.status === 'True',
  );
}

function notEstablishedReason(crd: CustomResourceDefinition): string {
  const conditions = crd.status?.conditions ?? [];
  const failing = conditions.filter((c) => c.status !== 'True');
  if (failing.length === 0) return 'no conditions yet';
  return failing.map((c) => `${c.type}=${c.status}: ${c.message ?? c.reason ?? ''}`).join(', ');
}

function describeApiError(err: unknown): string {
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  const causes = err.causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
  return causes.length > 0
    ? `${err.status.message ?? err.reason} [${causes.join('; ')}]`
    : err.message;
}
