// The backend's composition root: from options to running controllers. It connects to the
// provider cluster, makes sure the kube-bind.io API is served, creates the Cluster `default`, and
// runs the controllers in a manager behind a Lease (so several replicas can run; one leads).
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import * as kb from '../../apis/kubebind/types.gen.ts';
import { KubeClient } from '../../kube/client.ts';
import { connectionFromFlags } from '../../kube/config.ts';
import { ignoreAlreadyExists } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { Namespaces } from '../../kube/resources.ts';
import { SingleClusterProvider } from '../../providers/default/single-cluster.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ClientEventRecorder, type EventRecorder } from '../../runtime/events.ts';
import type { ControllerSpec } from '../../runtime/controller/controller.ts';
import { leaseGate } from '../../runtime/leaderelection/index.ts';
import { Manager } from '../../runtime/manager/manager.ts';
import { RuntimeMetrics } from '../../runtime/metrics.ts';
import { ConsumerProvisioner, namespaceLookup } from '../binding/provisioner.ts';
import {
  bindableResourcesRequestController,
  type ProvisionOn,
} from '../controllers/bindableresourcesrequest/controller.ts';
import { clusterController, defaultClusterName } from '../controllers/cluster/controller.ts';
import { clusterBindingController } from '../controllers/clusterbinding/controller.ts';
import { serviceExportController } from '../controllers/serviceexport/controller.ts';
import { serviceExportRBACController } from '../controllers/serviceexportrbac/controller.ts';
import { serviceExportRequestController } from '../controllers/serviceexportrequest/controller.ts';
import { serviceNamespaceController } from '../controllers/servicenamespace/controller.ts';
import type { BackendOptions } from '../options/options.ts';
import { startFrontDoor } from './front-door.ts';
import { ensureKubeBindAPI } from './kube-bind-api.ts';

export interface BackendDeps {
  log: Logger;
  clock: Clock;
  /** Where controllers report what an operator should know (Kubernetes Events). */
  events?: EventRecorder;
  /** OIDC subjects allowed to bind (the HTTP front door, issue 6, fills these from its flags). */
  allowed?: { groups: readonly string[]; users: readonly string[] };
}

/** Where issued kubeconfigs point: --external-address/--external-ca-file, else the cluster's. */
export interface KubeconfigTarget {
  server: string;
  caPem: string;
}

/** Consumer provisioning on any engaged cluster, one provisioner per cluster. */
export function provisionerFor(
  options: BackendOptions,
  deps: BackendDeps,
  target: KubeconfigTarget,
): ProvisionOn {
  const provisioners = new Map<string, ConsumerProvisioner>();
  return (cluster, who, signal) => {
    let provisioner = provisioners.get(cluster.name);
    if (!provisioner) {
      provisioner = new ConsumerProvisioner(
        {
          namespacePrefix: options.namespacePrefix,
          prettyName: options.prettyName,
          server: options.externalAddress ?? target.server,
          caPem: options.externalCA ?? target.caPem,
          ...(options.externalServerName && { serverName: options.externalServerName }),
        },
        {
          client: cluster.client,
          namespacesByIdentity: namespaceLookup(cluster.informers.informerFor(Namespaces)),
          clock: deps.clock,
          log: deps.log,
        },
      );
      provisioners.set(cluster.name, provisioner);
    }
    return provisioner.provision(who, signal);
  };
}

/** The controllers of the default provider, in upstream's registration order. */
export function backendControllers(
  options: BackendOptions,
  deps: BackendDeps,
  target: KubeconfigTarget,
): ControllerSpec[] {
  return [
    clusterBindingController(deps.clock, deps.events),
    serviceExportRBACController(options.consumerScope),
    serviceExportController(deps.clock),
    serviceNamespaceController(options.isolation, deps.events),
    serviceExportRequestController({
      consumerScope: options.consumerScope,
      isolation: options.isolation,
      clock: deps.clock,
      ...(deps.events && { events: deps.events }),
    }),
    clusterController(deps.allowed ?? { groups: [], users: [] }),
    // Without the front door, BindableResourcesRequests are how consumers are provisioned.
    ...(options.frontendDisabled
      ? [
          bindableResourcesRequestController(
            provisionerFor(options, deps, target),
            deps.clock,
            deps.events,
          ),
        ]
      : []),
  ];
}

/** Runs the backend until `signal` aborts; rejects on a start-up failure or a lost lease. */
export async function runBackend(
  options: BackendOptions,
  deps: BackendDeps,
  signal: AbortSignal,
): Promise<void> {
  if (options.provider !== 'kubernetes') {
    throw new Error('--multicluster-runtime-provider=kcp is not available yet in this backend');
  }
  const connection = await connectionFromFlags(options);
  // One registry for /metrics: process, HTTP, and the controller runtime (API requests, queues,
  // reconciles, watches), named like controller-runtime's and client-go's.
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const runtime = new RuntimeMetrics(metrics);
  const client = new KubeClient(connection, {
    userAgent: 'kube-bind-backend',
    observer: runtime.requests,
  });
  try {
    await ensureKubeBindAPI(client, { install: options.installCRDs, log: deps.log, signal });
    await ensureDefaultCluster(client, deps.log);
    const provider = new SingleClusterProvider({
      client,
      clock: deps.clock,
      log: deps.log,
      metrics: { reflector: runtime.reflector },
    });
    const { leaderElection: le } = options;
    const manager = new Manager({
      provider,
      clock: deps.clock,
      log: deps.log,
      metrics: runtime.controller,
      ...(le.enabled && {
        leaderElection: leaseGate({
          client,
          namespace: le.namespace,
          name: le.leaseName,
          identity: `${hostname()}_${randomUUID()}`,
          leaseDurationMs: le.leaseDurationMs,
          renewDeadlineMs: le.renewDeadlineMs,
          retryPeriodMs: le.retryPeriodMs,
          clock: deps.clock,
          log: deps.log,
        }),
      }),
    });
    const target = { server: connection.server, caPem: connection.caPem ?? '' };
    const events = new ClientEventRecorder({
      client,
      component: 'kube-bind-backend',
      clock: deps.clock,
      log: deps.log,
    });
    const allowed = options.login && {
      groups: options.login.allowedGroups,
      users: options.login.allowedUsers,
    };
    const controllerDeps = { events, ...(allowed && { allowed }), ...deps };
    for (const spec of backendControllers(options, controllerDeps, target)) manager.add(spec);
    // Every replica serves HTTP; only the leader runs the controllers.
    const frontDoor = await startFrontDoor(options, {
      client,
      provision: provisionerFor(options, deps, target),
      metrics,
      clock: deps.clock,
      log: deps.log,
    });
    deps.log.info(
      {
        leaderElection: le.enabled,
        consumerScope: options.consumerScope,
        isolation: options.isolation,
        url: frontDoor.url,
      },
      'backend started',
    );
    try {
      await manager.start(signal);
    } finally {
      await frontDoor.stop();
    }
  } finally {
    await client.close();
  }
}

/** Every provider cluster has a Cluster `default` (it owns the OIDC user RBAC). */
async function ensureDefaultCluster(client: KubeClient, log: Logger): Promise<void> {
  const created = await ignoreAlreadyExists(
    new ResourceClient(client, kb.Clusters).create({
      metadata: { name: defaultClusterName },
      spec: {},
    }),
  );
  if (created) log.info('created Cluster default');
}
