// Claimed objects: Secrets each way, reference changes, and their cost as references grow.
import { setTimeout as sleep } from 'node:timers/promises';
import { Cowboys } from '../../src/apis/examples/wildwest.ts';
import { PatchType } from '../../src/kube/client.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { type KubeObject, ResourceClient } from '../../src/kube/resource.ts';
import { Secrets } from '../../src/kube/resources.ts';
import { forEachBounded } from '../lib/concurrency.ts';
import { until } from '../lib/wait.ts';
import { type Env, konnectorQuiet } from './cluster.ts';
import {
  claimedName,
  claimLabel,
  concurrency,
  consumerNamespace,
  extraReferencing,
  nameOf,
  objects,
  ownerLabel,
  providedName,
  providerOwnedProbeMs,
  referencedName,
  sampleSize,
} from './config.ts';
import { measurePhase, type PhaseResult } from './phase.ts';
import { konnectorRequests, type KonnectorRequests, snapshot, type Snapshot } from './snapshot.ts';

/** One claimed-object phase: latencies, the konnector's requests and its CPU seconds. */
export interface ClaimPhase {
  result: PhaseResult;
  requests: KonnectorRequests;
  cpu: number;
}

export interface ClaimResults {
  /** Labelled Secrets created on the consumer, copied to the provider. */
  toProvider: ClaimPhase;
  /** Cowboys patched to reference existing Secrets, copied to the provider. */
  references: ClaimPhase;
  /** Provider-owned Secrets, copied to the consumer; a reason when skipped. */
  toConsumer: ClaimPhase | string;
  /** Reference changes one at a time, with fewer and with more referencing objects. */
  scaling: [ReferenceSample, ReferenceSample];
  /** Snapshots after each claim phase (for the log summary). */
  snapshots: Snapshot[];
}

/** `sampleSize` reference changes, one at a time, while `referencing` cowboys exist. */
export interface ReferenceSample {
  referencing: number;
  changes: number;
  /** The claim syncer's reconciles over the sample: how many, and their summed time (s). */
  claimReconciles: number;
  claimSeconds: number;
  /** The konnector's CPU seconds over the sample. */
  cpu: number;
  requests: KonnectorRequests;
}

/**
 * What deciding one reference change costs as the referencing objects grow: k cowboys (from
 * `offset`, a range of their own per sample) each get a second reference, to a Secret that is
 * already claimed and copied, one change at a time (so no recompute is shared). The claim syncer
 * reconciles that Secret and has nothing to write: its reconcile time is the decision alone,
 * which with a rescan of every referencing object grows with their number.
 */
export async function referenceSample(env: Env, referencing: number, offset: number) {
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  await konnectorQuiet(env.konnector);
  const from = await snapshot(env);
  for (let i = 0; i < sampleSize; i++) {
    const j = (offset + i) % objects;
    await consumerCowboys.patch(nameOf(j), PatchType.merge, {
      spec: { secretRefs: [{ name: referencedName(j) }, { name: claimedName(j) }] },
    });
    // Time for the event and its reconcile: one change at a time, not a burst.
    await sleep(50);
  }
  await konnectorQuiet(env.konnector);
  const to = await snapshot(env);
  const sample: ReferenceSample = {
    referencing,
    changes: sampleSize,
    claimReconciles: to.claimReconciles.count - from.claimReconciles.count,
    claimSeconds: to.claimReconciles.seconds - from.claimReconciles.seconds,
    cpu: to.usage.cpu - from.usage.cpu,
    requests: konnectorRequests(env, from, to),
  };
  return { sample, from, to };
}

/** Creates `count` more cowboys (set-up), and waits until the konnector is idle again. */
export async function moreCowboys(env: Env, count: number): Promise<void> {
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  await forEachBounded(count, concurrency, async (i) => {
    await consumerCowboys.create({
      metadata: { name: `extra-${String(i).padStart(6, '0')}` },
      spec: { intent: 'ride' },
    });
  });
  await konnectorQuiet(env.konnector);
}

/** Measures one claimed-object phase from an idle konnector (`from`) to idle again. */
export async function claimPhase(
  env: Env,
  from: Snapshot,
  run: () => Promise<PhaseResult>,
): Promise<{ phase: ClaimPhase; to: Snapshot }> {
  const result = await run();
  await konnectorQuiet(env.konnector);
  const to = await snapshot(env);
  return {
    phase: {
      result,
      requests: konnectorRequests(env, from, to),
      cpu: to.usage.cpu - from.usage.cpu,
    },
    to,
  };
}

/** Creates `count` Secrets on one side (set-up, not measured). */
export async function createSecrets(
  secrets: ResourceClient<KubeObject & { stringData?: Record<string, string> }>,
  name: (i: number) => string,
  labels: Record<string, string>,
  count = objects,
): Promise<void> {
  await forEachBounded(count, concurrency, async (i) => {
    await secrets.create({ metadata: { name: name(i), labels }, stringData: { n: String(i) } });
  });
}

export async function measureClaims(env: Env, from: Snapshot): Promise<ClaimResults> {
  const consumerSecrets = new ResourceClient(env.consumer.admin, Secrets, consumerNamespace);
  const providerSecrets = new ResourceClient(env.provider.admin, Secrets, env.providerNamespace);
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  const claimed = { [claimLabel]: 'true' };

  process.stderr.write(`creating ${objects} claimed Secrets on the consumer…\n`);
  const toProvider = await claimPhase(env, from, () =>
    measurePhase(
      providerSecrets,
      () => true,
      (_, i) =>
        consumerSecrets.create({
          metadata: { name: claimedName(i), labels: claimed },
          stringData: { n: String(i) },
        }),
      claimedName,
    ),
  );

  process.stderr.write(`creating ${objects} unclaimed Secrets, then one cowboy reference each…\n`);
  await createSecrets(consumerSecrets, referencedName, {});
  await konnectorQuiet(env.konnector);
  const beforeReferences = await snapshot(env);
  const references = await claimPhase(env, beforeReferences, () =>
    measurePhase(
      providerSecrets,
      () => true,
      (name, i) =>
        consumerCowboys.patch(name, PatchType.merge, {
          spec: { secretRefs: [{ name: referencedName(i) }] },
        }),
      referencedName,
    ),
  );

  const toConsumer = await measureToConsumer(env, consumerSecrets, providerSecrets);

  const fewer = objects + 1;
  process.stderr.write(`${sampleSize} reference changes one at a time, ${fewer} cowboys…\n`);
  const a = await referenceSample(env, fewer, 0);
  process.stderr.write(`creating ${extraReferencing} more cowboys…\n`);
  await moreCowboys(env, extraReferencing);
  const more = fewer + extraReferencing;
  process.stderr.write(`${sampleSize} reference changes one at a time, ${more} cowboys…\n`);
  const b = await referenceSample(env, more, sampleSize);
  return {
    toProvider: toProvider.phase,
    references: references.phase,
    toConsumer: typeof toConsumer === 'string' ? toConsumer : toConsumer.phase,
    scaling: [a.sample, b.sample],
    // In time order, for the log summary's phases.
    snapshots: [
      toProvider.to,
      beforeReferences,
      references.to,
      // Skipped, the provider → consumer phase is empty.
      typeof toConsumer === 'string' ? references.to : toConsumer.to,
      a.from,
      a.to,
      b.from,
      b.to,
    ],
  };
}

/**
 * Provider-owned Secrets copied to the consumer, or why not: a konnector that does not copy them
 * (one warm-up Secret absent after 30 s) is told apart from a slow one, and the part is skipped.
 */
export async function measureToConsumer(
  env: Env,
  consumerSecrets: ResourceClient,
  providerSecrets: ResourceClient<KubeObject & { stringData?: Record<string, string> }>,
): Promise<{ phase: ClaimPhase; to: Snapshot } | string> {
  const provided = { [claimLabel]: 'true', [ownerLabel]: 'provider' };
  await providerSecrets.create({
    metadata: { name: 'provided-warm-up', labels: provided },
    stringData: { n: 'warm-up' },
  });
  const copied = await until(
    'the provider-owned warm-up Secret on the consumer',
    async () => (await ignoreNotFound(consumerSecrets.get('provided-warm-up'))) ?? undefined,
    { timeoutMs: providerOwnedProbeMs },
  ).catch(() => undefined);
  if (!copied) {
    await ignoreNotFound(providerSecrets.delete('provided-warm-up'));
    return (
      'skipped: this konnector does not copy provider-owned claimed objects to the consumer ' +
      `(a Secret labelled ${ownerLabel}=provider was not there after ${providerOwnedProbeMs / 1000} s)`
    );
  }
  await konnectorQuiet(env.konnector);
  const start = await snapshot(env);
  process.stderr.write(`creating ${objects} provider-owned Secrets on the provider…\n`);
  return claimPhase(env, start, () =>
    measurePhase(
      consumerSecrets,
      () => true,
      (_, i) =>
        providerSecrets.create({
          metadata: { name: providedName(i), labels: provided },
          stringData: { n: String(i) },
        }),
      providedName,
    ),
  );
}
