// The two clusters, the servers under test, and the API requests each apiserver and process
// counted.
import { join } from 'node:path';
import { KubeClient, type RequestRecord } from '../../src/kube/client.ts';
import { type KubeCluster, startKubeCluster } from '../../test/harness/kube-cluster.ts';
import { freePort } from '../../test/harness/ports.ts';
import { ManagedProcess } from '../../test/harness/process.ts';
import { type Counts, RequestCounter, total } from '../lib/requests.ts';
import { until, untilQuiet } from '../lib/wait.ts';
import { repo, syncTimeoutMs } from './config.ts';

/**
 * The resources the konnector works with. Leases (its leader election, the apiservers' identity
 * leases) and namespaces (the apiservers' own system-namespace checks) are left out: that traffic
 * is periodic, not per object, and would otherwise be mixed with the apiservers' own.
 */
export const counter = new RequestCounter([
  'cowboys',
  'apiservicebindings',
  'apiservicebindingbundles',
  'apiserviceexports',
  'apiserviceexportrequests',
  'apiservicenamespaces',
  'boundschemas',
  'clusterbindings',
  'customresourcedefinitions',
  'secrets',
  'configmaps',
  'serviceaccounts',
  'events',
  'roles',
  'rolebindings',
  'clusterroles',
  'clusterrolebindings',
]);

/** What one kube-apiserver served, by anyone. */
export async function apiserverCounts(admin: KubeClient): Promise<Counts> {
  return counter.fromMetrics(
    await admin.request<string>('GET', '/metrics'),
    'apiserver_request_total',
  );
}

/** What a bin/backend or bin/konnector process says it sent (rest_client_requests_total). */
export async function processCounts(metricsUrl: string): Promise<Counts> {
  return counter.fromMetrics(await (await fetch(metricsUrl)).text(), 'rest_client_requests_total');
}

/** One cluster with the driver's admin client, whose requests are recorded to be subtracted. */
export interface Side {
  cluster: KubeCluster;
  admin: KubeClient;
  records: RequestRecord[];
}

export async function startSide(name: string, dir: string): Promise<Side> {
  process.stderr.write(`starting ${name}: etcd + kube-apiserver + kube-controller-manager…\n`);
  const cluster = await startKubeCluster({ name, baseDir: dir });
  const records: RequestRecord[] = [];
  const admin = new KubeClient(cluster.adminConnection(), {
    userAgent: 'bench-driver',
    observer: (r) => records.push(r),
  });
  return { cluster, admin, records };
}

export async function stopSide(side: Side): Promise<void> {
  await side.admin.close();
  await side.cluster.stop();
}

export interface Server {
  proc: ManagedProcess;
  /** Its /metrics. */
  metricsUrl: string;
}

/** Starts a bin/ script with a listener on a free port and waits for its `healthPath`. */
export async function startServer(
  name: string,
  args: (address: string) => string[],
  healthPath: string,
  logDir: string,
): Promise<Server> {
  const address = `127.0.0.1:${await freePort()}`;
  const proc = new ManagedProcess({
    name,
    command: join(repo, 'bin', name),
    args: args(address),
    logDir,
    env: { LOG_LEVEL: 'warn' },
  });
  await until(`${name} to answer ${healthPath}`, async () => {
    if (!proc.running) throw new Error(`${name} exited:\n${proc.tail()}`);
    const ok = await fetch(`http://${address}${healthPath}`)
      .then((r) => r.ok)
      .catch(() => false);
    return ok || undefined;
  });
  return { proc, metricsUrl: `http://${address}/metrics` };
}

export const startBackend = (provider: Side, logDir: string): Promise<Server> =>
  startServer(
    'backend',
    (address) => [
      `--kubeconfig=${provider.cluster.adminKubeconfigPath}`,
      '--leader-elect=false',
      '--frontend-disabled',
      `--listen-address=${address}`,
    ],
    '/healthz',
    logDir,
  );

export const startKonnector = (consumer: Side, logDir: string): Promise<Server> =>
  startServer(
    'konnector',
    (address) => [
      `--kubeconfig=${consumer.cluster.adminKubeconfigPath}`,
      `--server-address=${address}`,
      '--lease-namespace=kube-system',
    ],
    '/readyz',
    logDir,
  );

/** Waits until the konnector has sent no counted request for `quietMs` (by its own count). */
export async function konnectorQuiet(konnector: Server, quietMs = 2_000): Promise<void> {
  const sent = async () => total(await processCounts(konnector.metricsUrl));
  if (!(await untilQuiet(sent, { idleMs: quietMs, maxMs: syncTimeoutMs }))) {
    throw new Error(`timed out after ${syncTimeoutMs / 1000}s: the konnector to go quiet`);
  }
}

export interface Env {
  provider: Side;
  consumer: Side;
  backend: Server;
  konnector: Server;
  providerNamespace: string;
}
