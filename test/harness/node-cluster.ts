// What a test cluster needs beyond the API to run pods (`startKubeCluster({ pods: true })`):
// kubelets authorized as nodes, the ServiceAccount admission plugin (tokens in pods), the
// Deployment/ReplicaSet/pod-GC controllers, a scheduler, and a stand-in for the pod network.
//
// The pod network: these machines have no CNI network and no kube-proxy, and the `kubernetes`
// Service gets no endpoints for a 127.0.0.1 apiserver, so a pod in its own network namespace could
// reach neither the apiserver nor anything else. Production manifests (our Helm chart, the
// konnector Deployment `kubectl bind` creates) must still run unchanged, so the cluster itself
// rewrites every pod: a MutatingAdmissionPolicy puts it in the host's network and points
// in-cluster clients (KUBERNETES_SERVICE_HOST/PORT, read by client-go and our own client) at the
// loopback apiserver. It stands in for a CNI plugin plus kube-proxy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../../src/kube/client.ts';
import type { ClusterConnection } from '../../src/kube/config.ts';
import type { CertificateAuthority } from './pki.ts';
import { ManagedProcess } from './process.ts';
import { toolPath } from './tools.ts';

/** kube-apiserver flags of a pods cluster (replacing `--authorization-mode=RBAC` and the rest). */
export async function podsApiserverArgs(
  pkiDir: string,
  ca: CertificateAuthority,
): Promise<string[]> {
  // The apiserver's identity towards kubelets (logs, exec, port-forward).
  const client = await ca.issueClient('kube-apiserver-kubelet-client', ['kube-bind-ts:apiservers']);
  const cert = join(pkiDir, 'apiserver-kubelet-client.crt');
  const key = join(pkiDir, 'apiserver-kubelet-client.key');
  writeFileSync(cert, client.certPem, { mode: 0o600 });
  writeFileSync(key, client.keyPem, { mode: 0o600 });
  return [
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    // TaintNodesByCondition taints every new node not-ready until the node-lifecycle controller
    // lifts it; that controller only adds monitoring and evictions a test node does not need.
    '--disable-admission-plugins=TaintNodesByCondition',
    '--feature-gates=MutatingAdmissionPolicy=true',
    '--runtime-config=admissionregistration.k8s.io/v1beta1=true',
    `--kubelet-client-certificate=${cert}`,
    `--kubelet-client-key=${key}`,
    '--kubelet-preferred-address-types=InternalIP',
  ];
}

/** kube-controller-manager controllers a Deployment's pods need, beyond the API-only set. */
export const podsControllers = [
  'deployment-controller',
  'replicaset-controller',
  'pod-garbage-collector-controller',
];

export function startScheduler(name: string, logDir: string, kubeconfig: string): ManagedProcess {
  return new ManagedProcess({
    name: `${name}-kube-scheduler`,
    command: toolPath('kube-scheduler'),
    logDir,
    args: [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'],
  });
}

const policyName = 'kube-bind-ts-host-network';
const admission = '/apis/admissionregistration.k8s.io/v1beta1';

/** Installs the pod rewrite (see the top of this file); resolves once the apiserver applies it. */
export async function installHostNetworkPolicy(conn: ClusterConnection): Promise<void> {
  const port = new URL(conn.server).port;
  // Server-side-apply semantics: containers and env are maps keyed by name, so this adds (or
  // overrides) the two variables and keeps everything else of each container.
  const withEnv = (list: string, field: 'containers' | 'initContainers'): string => {
    const env = (name: string, value: string): string =>
      `Object.spec.${field}.env{name: "${name}", value: "${value}"}`;
    const vars = [
      env('KUBERNETES_SERVICE_HOST', '127.0.0.1'),
      env('KUBERNETES_SERVICE_PORT', port),
    ];
    return `${list}.map(c, Object.spec.${field}{name: c.name, env: [${vars.join(', ')}]})`;
  };
  const client = new KubeClient(conn, { maxConnections: 1 });
  try {
    await client.create(`${admission}/mutatingadmissionpolicies`, {
      metadata: { name: policyName },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
          ],
        },
        failurePolicy: 'Fail',
        reinvocationPolicy: 'IfNeeded',
        mutations: [
          {
            patchType: 'ApplyConfiguration',
            applyConfiguration: {
              expression:
                'Object{spec: Object.spec{hostNetwork: true, ' +
                `containers: ${withEnv('object.spec.containers', 'containers')}, ` +
                `?initContainers: object.spec.?initContainers.optMap(l, ${withEnv('l', 'initContainers')})` +
                '}}',
            },
          },
        ],
      },
    });
    await client.create(`${admission}/mutatingadmissionpolicybindings`, {
      metadata: { name: policyName },
      spec: { policyName },
    });
    await untilApplied(client);
  } finally {
    await client.close();
  }
}

/** The apiserver picks policies up from an informer: dry-run a pod until it comes back rewritten. */
async function untilApplied(client: KubeClient): Promise<void> {
  const probe = {
    metadata: { generateName: 'kube-bind-ts-probe-' },
    spec: { containers: [{ name: 'probe', image: 'probe' }] },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pod = await client.create<{ spec: { hostNetwork?: boolean } }>(
      '/api/v1/namespaces/default/pods',
      probe,
      { dryRun: 'All' },
    );
    if (pod.spec.hostNetwork === true) return;
    if (Date.now() > deadline) throw new Error(`${policyName} not applied to pods after 30 s`);
    await sleep(100);
  }
}
