// The fleet of workspaces the points share: each made once, then bound and unbound per point.
import { kubeBindAPIBinding, kubeBindExportName } from '../../src/apis/kubebind/kcp.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { AlreadyExistsError, ignoreAlreadyExists, ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient, resourceType, type KubeObject } from '../../src/kube/resource.ts';
import { APIBindings } from '../../src/providers/kcp/bootstrap.ts';
import { forEachBounded } from '../lib/concurrency.ts';
import { availableMiB, rssMiB } from '../lib/proc.ts';
import { concurrency, minAvailableMiB, poll, seconds, setupStepTimeoutMs } from './config.ts';
import type { Env, Workspace } from './env.ts';
import { fmt } from './format.ts';

const Workspaces = resourceType<
  KubeObject & { spec?: { cluster?: string }; status?: { phase?: string } }
>({
  group: 'tenancy.kcp.io',
  version: 'v1alpha1',
  resource: 'workspaces',
  kind: 'Workspace',
  namespaced: false,
});

async function createWorkspace(root: KubeClient, i: number): Promise<Workspace> {
  const name = `bench-${String(i).padStart(4, '0')}`;
  const workspaces = new ResourceClient(root, Workspaces);
  await ignoreAlreadyExists(workspaces.create({ metadata: { name } }));
  const ws = await poll(
    `workspace root:${name} to be Ready`,
    async () => {
      const w = await workspaces.get(name);
      return w.status?.phase === 'Ready' && w.spec?.cluster ? w : undefined;
    },
    setupStepTimeoutMs,
  );
  return { name, path: `root:${name}`, id: ws.spec?.cluster ?? '', bound: false };
}

async function bind(env: Env, ws: Workspace): Promise<void> {
  const bindings = new ResourceClient(env.root.cluster(ws.path), APIBindings);
  // The binding of a previous point may still be going (kcp deletes the bound objects first).
  await poll(
    `the APIBinding in ${ws.path} to be created`,
    async () => {
      try {
        await bindings.create(kubeBindAPIBinding(env.exportPath));
        return true;
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        const old = await bindings.get(kubeBindExportName);
        return old.metadata?.deletionTimestamp ? undefined : true;
      }
    },
    setupStepTimeoutMs,
  );
  await poll(
    `the APIBinding in ${ws.path} to be Bound`,
    async () => (await bindings.get(kubeBindExportName)).status?.phase === 'Bound' || undefined,
    setupStepTimeoutMs,
  );
  ws.bound = true;
}

export async function unbind(env: Env, ws: Workspace): Promise<void> {
  await ignoreNotFound(
    new ResourceClient(env.root.cluster(ws.path), APIBindings).delete(kubeBindExportName),
  );
  ws.bound = false;
}

export interface SetupResult {
  created: number;
  bound: number;
  seconds: number;
  kcpRss: number;
}

/** The first `n` workspaces exist and bind kube-bind.io. */
export async function setUp(env: Env, n: number): Promise<SetupResult> {
  const started = performance.now();
  let [created, bound] = [0, 0];
  let done = 0;
  // kcp grows by some 15 MiB per workspace: rather stop than have the kernel pick a victim.
  let tooBig: string | undefined;
  const check = (): void => {
    const available = availableMiB();
    const kcpRss = rssMiB(env.kcp.process.pid ?? 0);
    process.stderr.write(
      `  … ${done}/${n} ready and bound after ${fmt(seconds(performance.now() - started), 0)} s ` +
        `(kcp RSS ${fmt(kcpRss, 0)} MiB, ${fmt(available, 0)} MiB available)\n`,
    );
    if (available < minAvailableMiB && tooBig === undefined) {
      tooBig =
        `does not fit: ${fmt(available, 0)} MiB available (< KBT_BENCH_MIN_AVAILABLE_MIB ` +
        `${minAvailableMiB}) with ${env.fleet.length} workspaces, ${done}/${n} of this point ` +
        `ready and bound after ${fmt(seconds(performance.now() - started), 0)} s; ` +
        `kcp RSS ${fmt(kcpRss, 0)} MiB`;
    }
  };
  const progress = setInterval(check, 15_000);
  try {
    await forEachBounded(n, concurrency, async (i) => {
      if (tooBig !== undefined) throw new Error(tooBig);
      let ws = env.fleet[i];
      if (!ws) {
        ws = await createWorkspace(env.root, i);
        env.fleet[i] = ws;
        created++;
      }
      if (!ws.bound) {
        await bind(env, ws);
        bound++;
      }
      done++;
    });
  } finally {
    clearInterval(progress);
  }
  return {
    created,
    bound,
    seconds: seconds(performance.now() - started),
    kcpRss: rssMiB(env.kcp.process.pid ?? 0),
  };
}
