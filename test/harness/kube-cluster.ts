// One real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC on, client-certificate
// admin in system:masters, service-account signing keys, serving certificate from our CA) and
// kube-controller-manager (service-account tokens, service accounts, namespace deletion, garbage
// collection). Several can run side by side; each has its own directory, ports and etcd.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.ts';
import type { ClusterConnection } from '../../src/kube/config.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { buildKubeconfig } from './kubeconfig.ts';
import {
  installHostNetworkPolicy,
  podsApiserverArgs,
  podsControllers,
  startScheduler,
} from './node-cluster.ts';
import {
  createCertificateAuthority,
  createServiceAccountSigningKey,
  type CertificateAuthority,
} from './pki.ts';
import { freePort, withFreshPorts } from './ports.ts';
import { ManagedProcess, stopAll, waitUntilReady } from './process.ts';
import { toolPath } from './tools.ts';

/** Readiness probes poll on their own; the client must not add retries of its own. */
const noRetry = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

export const adminUser = 'kube-bind-ts:admin';
const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export interface KubeClusterOptions {
  /** Names the cluster's directory, processes and kubeconfig context (e.g. `provider`). */
  name: string;
  /** Parent directory; the cluster lives in `<baseDir>/<name>`. */
  baseDir: string;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /** Extra kube-apiserver flags (e.g. `--watch-cache=false` for fault tests). */
  apiserverArgs?: readonly string[];
  /**
   * Make it able to run pods on nodes from startNode() (node.ts): Node authorization,
   * service-account tokens in pods, Deployments, a scheduler, and the host-network rewrite of
   * every pod (see node-cluster.ts). Default false: an API-only cluster, which is cheaper.
   */
  pods?: boolean;
}

export interface KubeCluster {
  readonly name: string;
  readonly server: string;
  /** The cluster's CA, to mint client certificates for any user. */
  readonly ca: { certPem: string; keyPem: string };
  readonly etcdEndpoint: string;
  readonly adminKubeconfigPath: string;
  /** Whether it was started with `pods: true`. */
  readonly pods: boolean;
  /** The admin connection (system:masters). */
  adminConnection(): ClusterConnection;
  readonly processes: readonly ManagedProcess[];
  /**
   * Stops kube-apiserver (SIGKILL with `hard`, else SIGTERM) and starts it again on the same port
   * and etcd; resolves when it is ready again. Watches and connections to it break.
   */
  restartApiserver(opts?: { hard?: boolean; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startKubeCluster(opts: KubeClusterOptions): Promise<KubeCluster> {
  const dir = join(opts.baseDir, opts.name);
  const logDir = join(dir, 'logs');
  const pkiDir = join(dir, 'pki');
  for (const d of [logDir, pkiDir]) mkdirSync(d, { recursive: true });

  const ca = await createCertificateAuthority(`${opts.name} CA`);
  const files = await writePki(pkiDir, ca);
  const admin = await ca.issueClient(adminUser, ['system:masters']);
  const podArgs = opts.pods === true ? await podsApiserverArgs(pkiDir, ca) : undefined;
  const processes: ManagedProcess[] = [];
  try {
    const etcd = await withFreshPorts(() => startEtcd(opts.name, dir, logDir));
    processes.push(etcd.proc);
    const asAdmin = (server: string): ClusterConnection => ({
      server,
      caPem: ca.certPem,
      certPem: admin.certPem,
      keyPem: admin.keyPem,
    });
    const apiserverSpec = {
      name: opts.name,
      logDir,
      pki: files,
      etcdEndpoint: etcd.endpoint,
      asAdmin,
      extraArgs: opts.apiserverArgs ?? [],
      podArgs,
    };
    const apiserver = await withFreshPorts(async () =>
      startApiserver(apiserverSpec, await freePort()),
    );
    processes.push(apiserver.proc);
    const server = apiserver.server;
    const adminConnection = (): ClusterConnection => asAdmin(server);

    const adminKubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(
      adminKubeconfigPath,
      buildKubeconfig({ name: opts.name, server, caPem: ca.certPem, user: adminUser, ...admin }),
      { mode: 0o600 },
    );
    if (opts.controllerManager !== false) {
      const controllers = podArgs ? podsControllers : [];
      const kcm = startControllerManager(
        opts.name,
        logDir,
        files,
        adminKubeconfigPath,
        controllers,
      );
      processes.push(kcm);
      // It serves no health endpoint here (--secure-port=0); the `default` service account that
      // its serviceaccount controller creates shows that it is up and reconciling.
      await waitUntilReady(kcm, 'reconciling', () =>
        exists(adminConnection(), '/api/v1/namespaces/default/serviceaccounts/default'),
      );
    }
    if (podArgs) {
      processes.push(startScheduler(opts.name, logDir, adminKubeconfigPath));
      await installHostNetworkPolicy(adminConnection());
    }
    return {
      name: opts.name,
      server,
      ca: { certPem: ca.certPem, keyPem: ca.keyPem },
      etcdEndpoint: etcd.endpoint,
      adminKubeconfigPath,
      pods: podArgs !== undefined,
      processes,
      adminConnection,
      restartApiserver: async ({ hard = false, downMs = 0 } = {}) => {
        const i = processes.findIndex((p) => p.name.endsWith('-kube-apiserver'));
        const old = processes[i];
        if (old) {
          if (hard) old.kill('SIGKILL');
          await old.stop();
        }
        if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
        const restarted = await startApiserver(apiserverSpec, Number(new URL(server).port));
        processes[i] = restarted.proc;
      },
      stop: () => stopAll(processes),
    };
  } catch (err) {
    await stopAll(processes);
    throw err;
  }
}

interface PkiFiles {
  caCert: string;
  servingCert: string;
  servingKey: string;
  saPrivateKey: string;
  saPublicKey: string;
}

async function writePki(pkiDir: string, ca: CertificateAuthority): Promise<PkiFiles> {
  const serving = await ca.issueServing({
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ips: ['127.0.0.1'],
  });
  const sa = createServiceAccountSigningKey();
  const files: PkiFiles = {
    caCert: join(pkiDir, 'ca.crt'),
    servingCert: join(pkiDir, 'apiserver.crt'),
    servingKey: join(pkiDir, 'apiserver.key'),
    saPrivateKey: join(pkiDir, 'sa.key'),
    saPublicKey: join(pkiDir, 'sa.pub'),
  };
  const write = (path: string, content: string): void => {
    writeFileSync(path, content, { mode: 0o600 });
  };
  write(files.caCert, ca.certPem);
  write(files.servingCert, serving.certPem);
  write(files.servingKey, serving.keyPem);
  write(files.saPrivateKey, sa.privateKeyPem);
  write(files.saPublicKey, sa.publicKeyPem);
  return files;
}

async function startEtcd(name: string, dir: string, logDir: string) {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = new ManagedProcess({
    name: `${name}-etcd`,
    command: toolPath('etcd'),
    logDir,
    args: [
      `--name=${name}`,
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${name}=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });
  try {
    await waitUntilReady(proc, 'healthy', async () => {
      const res = await fetch(`${endpoint}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, endpoint };
}

interface ApiserverSpec {
  name: string;
  logDir: string;
  pki: PkiFiles;
  etcdEndpoint: string;
  asAdmin: (server: string) => ClusterConnection;
  extraArgs: readonly string[];
  /** Authorization and admission flags of a pods cluster. */
  podArgs: readonly string[] | undefined;
}

async function startApiserver(spec: ApiserverSpec, port: number) {
  const { name, logDir, pki, etcdEndpoint, asAdmin } = spec;
  const server = `https://127.0.0.1:${port}`;
  const proc = new ManagedProcess({
    name: `${name}-kube-apiserver`,
    command: toolPath('kube-apiserver'),
    logDir,
    args: [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--etcd-servers=${etcdEndpoint}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${pki.saPublicKey}`,
      `--service-account-signing-key-file=${pki.saPrivateKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      ...(spec.podArgs ?? [
        '--authorization-mode=RBAC',
        // No pods run here; the ServiceAccount admission plugin would only wait for tokens.
        '--disable-admission-plugins=ServiceAccount',
      ]),
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--v=1',
      ...spec.extraArgs,
    ],
  });
  try {
    await waitUntilReady(proc, 'ready', () => isReady(asAdmin(server)));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, server };
}

function startControllerManager(
  name: string,
  logDir: string,
  pki: PkiFiles,
  kubeconfig: string,
  extraControllers: readonly string[],
) {
  return new ManagedProcess({
    name: `${name}-kube-controller-manager`,
    command: toolPath('kube-controller-manager'),
    logDir,
    args: [
      `--kubeconfig=${kubeconfig}`,
      '--controllers=' +
        [
          'serviceaccount-token-controller',
          'serviceaccount-controller',
          'namespace-controller',
          'garbage-collector-controller',
          'root-ca-certificate-publisher-controller',
          'clusterrole-aggregation-controller',
          ...extraControllers,
        ].join(','),
      `--service-account-private-key-file=${pki.saPrivateKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false',
      '--leader-elect=false',
      '--secure-port=0',
      '--concurrent-gc-syncs=5',
      '--v=1',
    ],
  });
}

async function exists(conn: ClusterConnection, path: string): Promise<boolean> {
  const client = new KubeClient(conn, { maxConnections: 1, retry: noRetry });
  try {
    return (await ignoreNotFound(client.get(path))) !== undefined;
  } finally {
    await client.close();
  }
}

/** Whether the API server behind `conn` answers /readyz with ok (kube-apiserver and kcp alike). */
export async function isReady(conn: ClusterConnection): Promise<boolean> {
  const client = new KubeClient(conn, { maxConnections: 1, retry: noRetry });
  try {
    return (await client.get<string>('/readyz')) === 'ok';
  } finally {
    await client.close();
  }
}
