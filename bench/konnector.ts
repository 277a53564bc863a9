// Konnector benchmark: bin/konnector syncing 1,000 cowboys between two private
// clusters (etcd + kube-apiserver + kube-controller-manager each), with bin/backend
// (--frontend-disabled) on the provider:
//   - spec sync latency consumer → provider, p50/p99: from the consumer create call returning
//     until a watch on the provider delivers the copy; and the time until all are there;
//   - status sync latency provider → consumer, p50/p99: from the provider status patch returning
//     until a watch on the consumer delivers that status;
//   - the konnector's memory (VmRSS, VmHWM, V8 heap) and CPU, idle after engaging and after the
//     objects synced;
//   - API requests the konnector issued per object on each cluster, reads and writes, from each
//     kube-apiserver's apiserver_request_total, less the driver's own requests (counted by its
//     client) and, on the provider, less the backend's (its own rest_client_requests_total); the
//     konnector's own count is printed beside it as a cross-check. An apiserver counts a WATCH
//     when it ends, so the odd watch that times out during a phase shows as a few hundredths.
// Claimed objects, in the same binding, whose export claims Secrets labelled
// `bench.kube-bind.io/claimed=true` or named by a cowboy's `spec.secretRefs.#.name`:
//   - claimed Secrets consumer → provider, p50/p99: 1,000 labelled Secrets created on the
//     consumer until a watch on the provider delivers the copy; requests per object;
//   - a reference change with n referencing objects: each of the 1,000 cowboys patched to name a
//     Secret that exists (unclaimed) on the consumer, until the copy is on the provider: what a
//     change costs while every cowboy is a referencing object (latency, CPU, requests);
//   - provider-owned Secrets provider → consumer, p50/p99: 1,000 Secrets labelled
//     `kube-bind.io/owner=provider` created in the provider namespace until a watch on the
//     consumer delivers the copy; requests per object. A konnector that does not copy them (one
//     warm-up Secret not there within 30 s) skips this part with a printed line;
//   - what deciding one reference change costs as the referencing objects grow: 100 changes one
//     at a time, each a cowboy naming a Secret already claimed and copied (nothing to write), with
//     1,001 cowboys, then again after 4,000 more (KBT_BENCH_REFERENCE_SAMPLE,
//     KBT_BENCH_EXTRA_COWBOYS): the claim syncer's reconcile time per change (its
//     controller_runtime_reconcile_time_seconds), the ratio, and the time each referencing object
//     adds, above zero while a change rescans every cowboy.
// The consumer is provisioned like `kubectl bind` without a browser: a BindableResourcesRequest
// yields the kubeconfig of a contract namespace, an APIServiceExportRequest made with that
// kubeconfig exports cowboys, and the consumer gets the Secret and the APIServiceBinding. One
// warm-up cowboy is synced before measuring (the provider namespace and its informer are set-up).
// Run with `npm run bench:konnector` (KBT_BENCH_OBJECTS, KBT_BENCH_CONCURRENCY).
import { rmSync } from 'node:fs';
import { wildwestCRDs } from '../src/apis/examples/wildwest.ts';
import { kubeBindCRDs } from '../src/apis/kubebind/crds/index.ts';
import { installCRDs } from '../src/kube/crds.ts';
import {
  startBackend,
  startKonnector,
  startSide,
  stopSide,
  type Env,
  type Server,
} from './konnector/cluster.ts';
import { konnectorLogSummary } from './konnector/log.ts';
import { measure } from './konnector/measure.ts';
import {
  bindOnConsumer,
  exportCowboys,
  offerCowboys,
  provisionConsumer,
  waitUntilBound,
  warmUp,
} from './konnector/provision.ts';
import { report } from './konnector/report.ts';
import { scratchDir } from './lib/scratch.ts';

type Cleanups = (() => Promise<unknown>)[];

/**
 * Both clusters, bin/backend on the provider and bin/konnector on the consumer, and the consumer
 * bound to the cowboys export with one cowboy synced. `started` hears of the konnector as soon as
 * it runs, so that a failure later in the set-up can show its log.
 */
async function startEnv(
  dir: string,
  cleanups: Cleanups,
  started: (konnector: Server) => void,
): Promise<Env> {
  const provider = await startSide('provider', dir);
  cleanups.push(() => stopSide(provider));
  const consumer = await startSide('consumer', dir);
  cleanups.push(() => stopSide(consumer));
  await installCRDs(provider.admin, [...kubeBindCRDs(), ...wildwestCRDs()], {
    fieldManager: 'bench',
  });

  process.stderr.write('starting bin/backend --frontend-disabled; provisioning the consumer…\n');
  const backend = await startBackend(provider, dir);
  cleanups.push(() => backend.proc.stop());
  await offerCowboys(provider);
  const contract = await provisionConsumer(provider);
  await exportCowboys(contract.kubeconfig, contract.namespace);

  // The konnector first: it applies the APIServiceBinding CRD on the consumer before /readyz.
  process.stderr.write('starting bin/konnector; binding…\n');
  const konnector = await startKonnector(consumer, dir);
  started(konnector);
  cleanups.push(() => konnector.proc.stop());
  await bindOnConsumer(consumer, contract.kubeconfig);
  await waitUntilBound(consumer);
  const providerNamespace = await warmUp(provider, consumer, contract.namespace);
  return { provider, consumer, backend, konnector, providerNamespace };
}

const dir = scratchDir('kbt-bench-konnector-');
const cleanups: Cleanups = [];
let konnector: Server | undefined;
try {
  const env = await startEnv(dir, cleanups, (started) => (konnector = started));
  const results = await measure(env);
  process.stdout.write(report(env, results));
  process.stdout.write(
    konnectorLogSummary(env.konnector, [...results.snapshots, ...results.claims.snapshots]),
  );
} catch (err) {
  if (konnector) {
    process.stderr.write(`last konnector log lines:\n${konnector.proc.tail(10)}\n`);
    process.stderr.write(konnectorLogSummary(konnector));
  }
  process.exitCode = 1;
  throw err;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
