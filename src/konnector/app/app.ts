// Wires the konnector: the consumer connection, its CRDs (APIServiceBinding and bundle, applied
// at start as upstream's konnector does), the consumer informers, leader election on the
// consumer, the provider clusters engaged from kubeconfig Secrets, every controller, and the
// health/metrics server.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { consumerCRDs } from '../../apis/kubebind/crds/index.ts';
import { KubeClient } from '../../kube/client.ts';
import { connectionFromFlags } from '../../kube/config.ts';
import { installCRDs } from '../../kube/crds.ts';
import { SharedInformerFactory } from '../../runtime/cache/factory.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ClientEventRecorder } from '../../runtime/events.ts';
import { leaseGate } from '../../runtime/leaderelection/index.ts';
import { Manager } from '../../runtime/manager/manager.ts';
import { RuntimeMetrics } from '../../runtime/metrics.ts';
import type { ConsumerSide, ProviderCluster } from '../cluster.ts';
import { clusterBindingController } from '../controllers/clusterbinding/controller.ts';
import { serviceBindingController } from '../controllers/servicebinding/controller.ts';
import { serviceNamespaceController } from '../controllers/servicenamespace/controller.ts';
import { bundleController } from '../controllers/bundle/controller.ts';
import type { KonnectorOptions } from '../options/options.ts';
import { KubeconfigClusterSource } from '../cluster-source/source.ts';
import { startHealthServer } from './health.ts';

/** What the konnector reports as `konnectorVersion` (the contract version it implements). */
export const konnectorVersion = 'v0.8.1';
const component = 'kube-bind-konnector';

export interface KonnectorDeps {
  log: Logger;
  clock: Clock;
}

/** Runs the konnector until `signal` aborts; rejects on a start-up failure or a lost lease. */
export async function runKonnector(
  options: KonnectorOptions,
  deps: KonnectorDeps,
  signal: AbortSignal,
): Promise<void> {
  const { log, clock } = deps;
  const connection = await connectionFromFlags(options);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const runtime = new RuntimeMetrics(metrics);
  const client = new KubeClient(connection, { userAgent: component, observer: runtime.requests });
  const informers = new SharedInformerFactory({
    client,
    clock,
    log: log.child({ side: 'consumer' }),
    metrics: runtime.reflector,
  });
  let ready = false;
  const health = await startHealthServer(options.serverAddress, {
    metrics,
    ready: () => ready,
    log,
  });
  try {
    await installCRDs(client, consumerCRDs(), { fieldManager: component, signal });
    log.info('APIServiceBinding and APIServiceBindingBundle CRDs applied');
    const consumer: ConsumerSide = {
      client,
      informers,
      events: new ClientEventRecorder({ client, component, clock, log }),
    };
    const manager = konnectorManager(options, deps, consumer, runtime);
    informers.start();
    ready = true;
    log.info(
      { version: konnectorVersion, leaderElection: options.leaderElection.enabled },
      'konnector started',
    );
    await manager.start(signal);
  } finally {
    await informers.stop();
    await health.stop();
    await client.close();
  }
}

function konnectorManager(
  options: KonnectorOptions,
  deps: KonnectorDeps,
  consumer: ConsumerSide,
  runtime: RuntimeMetrics,
): Manager<ProviderCluster> {
  const { log, clock } = deps;
  const le = options.leaderElection;
  const manager = new Manager<ProviderCluster>({
    provider: new KubeconfigClusterSource({
      consumer,
      clock,
      log,
      metrics: { reflector: runtime.reflector, requests: runtime.requests },
    }),
    clock,
    log,
    metrics: runtime.controller,
    ...(le.enabled && {
      leaderElection: leaseGate({
        client: consumer.client,
        namespace: le.namespace,
        name: le.leaseName,
        identity: process.env['POD_NAME'] || `${hostname()}_${randomUUID()}`,
        clock,
        log,
      }),
    }),
  });
  const syncerDeps = {
    clock,
    log,
    controller: { metrics: runtime.controller },
    reflectorMetrics: runtime.reflector,
    workers: options.syncWorkers,
  };
  manager.add(
    clusterBindingController({
      clock,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      version: konnectorVersion,
    }),
  );
  manager.add(serviceBindingController(clock, syncerDeps));
  manager.add(serviceNamespaceController());
  manager.add(bundleController({ pollIntervalMs: options.providerPollingIntervalMs }));
  return manager;
}
