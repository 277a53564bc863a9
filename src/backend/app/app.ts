// The backend's composition root: from options to running controllers. It connects to the
// provider cluster (or kcp's APIExport workspace), makes sure the kube-bind.io API is served,
// and runs the controllers in a manager behind a Lease (so several replicas can run; one leads)
// on every cluster the provider engages, each first given its Cluster `default`.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Subject } from 'kubernetes-types/rbac/v1.js';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { KubeClient } from '../../kube/client.ts';
import { connectionFromFlags } from '../../kube/config.ts';
import { ignoreAlreadyExists } from '../../kube/errors.ts';
import { ResourceClient } from '../../kube/resource.ts';
import { Namespaces } from '../../kube/resources.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ClusterEventRecorders } from '../../runtime/cluster-events.ts';
import type { Cluster } from '../../runtime/cluster.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { ControllerSpec } from '../../runtime/controller/controller.ts';
import { leaseGate } from '../../runtime/leaderelection/index.ts';
import type { LeaderGate } from '../../runtime/manager/leader.ts';
import { Manager } from '../../runtime/manager/manager.ts';
import { withEngageHooks } from '../../runtime/manager/provider.ts';
import { RuntimeMetrics, type LeaderStatusMetric } from '../../runtime/metrics.ts';
import { ConsumerProvisioner, namespaceLookup } from '../binding/provisioner.ts';
import {
  bindableResourcesRequestController,
  type ProvisionOn,
} from '../controllers/bindableresourcesrequest/controller.ts';
import { clusterController, defaultClusterName } from '../controllers/cluster/controller.ts';
import { clusterBindingController } from '../controllers/clusterbinding/controller.ts';
import { kcpControllers, vwSubject } from '../controllers/kcp/index.ts';
import { serviceExportController } from '../controllers/serviceexport/controller.ts';
import { serviceExportRBACController } from '../controllers/serviceexportrbac/controller.ts';
import { serviceExportRequestController } from '../controllers/serviceexportrequest/controller.ts';
import { serviceNamespaceController } from '../controllers/servicenamespace/controller.ts';
import type { BackendOptions } from '../options/options.ts';
import { registerClusterGauges } from './cluster-metrics.ts';
import { defaultClusterHook } from './default-cluster.ts';
import { startFrontDoor } from './front-door.ts';
import { ensureKubeBindAPI } from './kube-bind-api.ts';
import { providerPlatform, type KubeconfigTarget } from './platform.ts';

export type { KubeconfigTarget } from './platform.ts';

export interface BackendDeps {
  log: Logger;
  clock: Clock;
  /** Where controllers report what an operator should know (Kubernetes Events). */
  events?: EventRecorder;
  /** OIDC subjects allowed to bind (the HTTP front door fills these from its flags). */
  allowed?: { groups: readonly string[]; users: readonly string[] };
  /** kcp: the backend's own identity, granted read access for the schema virtual workspace. */
  vwSubject?: Subject;
}

/**
 * Where kubeconfigs for a cluster point: one fixed target (to which --external-address and
 * --external-ca-file still apply), or a platform's per-cluster rule (which applies them itself).
 */
export type KubeconfigTargets = KubeconfigTarget | ((cluster: Cluster) => KubeconfigTarget);

function targetsOf(options: BackendOptions, targets: KubeconfigTargets) {
  if (typeof targets === 'function') return targets;
  const fixed = {
    server: options.externalAddress ?? targets.server,
    caPem: options.externalCA ?? targets.caPem,
  };
  return () => fixed;
}

/** Consumer provisioning on any engaged cluster, one provisioner per engaged cluster. */
export function provisionerFor(
  options: BackendOptions,
  deps: BackendDeps,
  targets: KubeconfigTargets,
): ProvisionOn {
  const targetOf = targetsOf(options, targets);
  // Keyed by the Cluster object: a logical cluster engaged again comes with a new client.
  const provisioners = new WeakMap<Cluster, ConsumerProvisioner>();
  return (cluster, who, signal) => {
    let provisioner = provisioners.get(cluster);
    if (!provisioner) {
      const target = targetOf(cluster);
      provisioner = new ConsumerProvisioner(
        {
          namespacePrefix: options.namespacePrefix,
          prettyName: options.prettyName,
          server: target.server,
          caPem: target.caPem,
          ...(options.externalServerName && { serverName: options.externalServerName }),
        },
        {
          client: cluster.client,
          namespacesByIdentity: namespaceLookup(cluster.informers.informerFor(Namespaces)),
          clock: deps.clock,
          log: deps.log,
        },
      );
      provisioners.set(cluster, provisioner);
    }
    return provisioner.provision(who, signal);
  };
}

/** The controllers of the default provider, in upstream's registration order. */
export function backendControllers(
  options: BackendOptions,
  deps: BackendDeps,
  targets: KubeconfigTargets,
): ControllerSpec[] {
  return [
    clusterBindingController(deps.clock, deps.events),
    serviceExportRBACController(options.consumerScope, options.schemaSource),
    serviceExportController(deps.clock),
    serviceNamespaceController(options.isolation, deps.events),
    serviceExportRequestController({
      consumerScope: options.consumerScope,
      isolation: options.isolation,
      schemaSource: options.schemaSource,
      clock: deps.clock,
      ...(deps.events && { events: deps.events }),
    }),
    clusterController(deps.allowed ?? { groups: [], users: [] }),
    // Without the front door, BindableResourcesRequests are how consumers are provisioned.
    ...(options.frontendDisabled
      ? [
          bindableResourcesRequestController(
            provisionerFor(options, deps, targets),
            deps.clock,
            deps.events,
          ),
        ]
      : []),
    // kcp: templates and schema copies from the workspace's APIBindings (controllers.md §6.4).
    ...(options.provider === 'kcp' && deps.vwSubject
      ? kcpControllers({
          apiBindingIgnorePrefixes: options.apiBindingIgnorePrefixes,
          vwSubject: deps.vwSubject,
          ...(deps.events && { events: deps.events }),
        })
      : []),
  ];
}

/** Runs the backend until `signal` aborts; rejects on a start-up failure or a lost lease. */
export async function runBackend(
  options: BackendOptions,
  deps: BackendDeps,
  signal: AbortSignal,
): Promise<void> {
  const { clock, log } = deps;
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
    await prepareProviderSide(options, client, log, signal);
    const platform = providerPlatform(options, {
      connection,
      client,
      clock,
      log,
      metrics: { reflector: runtime.reflector, requests: runtime.requests },
    });
    const events = new ClusterEventRecorders({
      component: 'kube-bind-backend',
      clock,
      log,
      unnamedCluster: defaultClusterName,
    });
    const controllersProvider = platform.newProvider('controllers');
    const manager = new Manager({
      provider: withEngageHooks(controllersProvider.provider, [
        defaultClusterHook(clock, log),
        events,
      ]),
      clock,
      log,
      metrics: runtime.controller,
      ...(options.leaderElection.enabled && {
        leaderElection: leaderGate(options.leaderElection, client, clock, log, runtime.leader),
      }),
    });
    const allowed = options.login && {
      groups: options.login.allowedGroups,
      users: options.login.allowedUsers,
    };
    // Who the backend is, for the kcp-only RBAC; a failure here aborts start-up (upstream too).
    const vw = options.provider === 'kcp' ? await vwSubject(client, signal) : undefined;
    const controllerDeps = {
      events,
      ...(allowed && { allowed }),
      ...(vw && { vwSubject: vw }),
      ...deps,
    };
    for (const spec of backendControllers(options, controllerDeps, platform.targetFor)) {
      manager.add(spec);
    }
    // Every replica serves HTTP; only the leader runs the controllers.
    const frontDoor = await startFrontDoor(options, {
      platform,
      provision: provisionerFor(options, deps, platform.targetFor),
      metrics,
      clock,
      log,
    });
    registerClusterGauges(metrics, [
      {
        component: 'controllers',
        engagedClusters: () => manager.engagedClusters.length,
        openWatches: controllersProvider.openWatches,
      },
      {
        component: 'front-door',
        engagedClusters: frontDoor.engagedClusters,
        openWatches: frontDoor.openWatches,
      },
    ]);
    log.info(
      {
        provider: platform.kind,
        leaderElection: options.leaderElection.enabled,
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

/**
 * What must exist beside the provider before controllers start. A plain cluster serves the
 * kube-bind.io API as CRDs (installed or checked); on kcp the APIExport serves it, and the
 * export's workspace needs the namespace of the leader lease (kcp workspaces start without
 * kube-system).
 */
async function prepareProviderSide(
  options: BackendOptions,
  client: KubeClient,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  if (options.provider === 'kubernetes') {
    await ensureKubeBindAPI(client, { install: options.installCRDs, log, signal });
    return;
  }
  if (!options.leaderElection.enabled) return;
  const { namespace } = options.leaderElection;
  const created = await ignoreAlreadyExists(
    new ResourceClient(client, Namespaces).create({ metadata: { name: namespace } }),
  );
  if (created) log.info({ namespace }, 'created the leader-election namespace');
}

/** The Lease gate, reporting on /metrics whether this replica leads (0 until it does). */
function leaderGate(
  le: BackendOptions['leaderElection'],
  client: KubeClient,
  clock: Clock,
  log: Logger,
  status: LeaderStatusMetric,
): LeaderGate {
  status.set(le.leaseName, false);
  const gate = leaseGate({
    client,
    namespace: le.namespace,
    name: le.leaseName,
    identity: `${le.holderName ?? hostname()}_${randomUUID()}`,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    clock,
    log,
    onStoppedLeading: () => status.set(le.leaseName, false),
  });
  return {
    run: (signal, lead) =>
      gate.run(signal, (leading) => {
        status.set(le.leaseName, true);
        return lead(leading);
      }),
  };
}
