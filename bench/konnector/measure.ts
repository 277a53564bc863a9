// The whole measurement, in order: spec sync, status sync, then the claimed objects.
import { setTimeout as sleep } from 'node:timers/promises';
import { Cowboys } from '../../src/apis/examples/wildwest.ts';
import { PatchType } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { type ClaimResults, measureClaims } from './claims.ts';
import { type Env, konnectorQuiet } from './cluster.ts';
import { concurrency, consumerNamespace, objects, resultFor } from './config.ts';
import { measurePhase, type PhaseResult } from './phase.ts';
import { konnectorRequests, type KonnectorRequests, snapshot, type Snapshot } from './snapshot.ts';

export interface Results {
  spec: PhaseResult;
  status: PhaseResult;
  specRequests: KonnectorRequests;
  statusRequests: KonnectorRequests;
  /** Idle after engaging, after the spec sync, after the status sync. */
  snapshots: [Snapshot, Snapshot, Snapshot];
  claims: ClaimResults;
}

export async function measure(env: Env): Promise<Results> {
  await konnectorQuiet(env.konnector);
  await sleep(2_000);
  const s0 = await snapshot(env);

  process.stderr.write(`creating ${objects} cowboys, ${concurrency} in flight…\n`);
  const consumerCowboys = new ResourceClient(env.consumer.admin, Cowboys, consumerNamespace);
  const providerCowboys = new ResourceClient(env.provider.admin, Cowboys, env.providerNamespace);
  const spec = await measurePhase(
    providerCowboys,
    () => true,
    (name) =>
      consumerCowboys.create({ metadata: { name }, spec: { intent: 'ride', horse: 'silver' } }),
  );
  await konnectorQuiet(env.konnector);
  const s1 = await snapshot(env);

  process.stderr.write(`patching ${objects} statuses on the provider…\n`);
  const status = await measurePhase(
    consumerCowboys,
    (c) => c.status?.result === resultFor(c.metadata?.name ?? ''),
    (name) =>
      providerCowboys.patch(
        name,
        PatchType.merge,
        { status: { result: resultFor(name) } },
        { subresource: 'status' },
      ),
  );
  await konnectorQuiet(env.konnector);
  const s2 = await snapshot(env);
  const claims = await measureClaims(env, s2);
  return {
    spec,
    status,
    specRequests: konnectorRequests(env, s0, s1),
    statusRequests: konnectorRequests(env, s1, s2),
    snapshots: [s0, s1, s2],
    claims,
  };
}
