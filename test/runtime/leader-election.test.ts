// Leader election against the real API server: the Lease we write is accepted and renewed,
// candidates in separate processes agree on one leader, fail over after a kill -9 and hand over at
// once on a graceful stop, a leader whose lease was taken stops, and nothing is left running.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionFromKubeconfig } from '../../src/kube/config.ts';
import { ignoreNotFound } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Leases } from '../../src/kube/resources.ts';
import { formatMicroTime, parseTime } from '../../src/kube/time.ts';
import { LeaderElector, LeadershipLostError } from '../../src/runtime/leaderelection/index.ts';
import { controlPlane, eventually, kubeAdmin, testNamespace } from '../harness/context.ts';

// Short timings, so a test sees several renewals and a failover in seconds.
const leaseMs = 4000;
const renewMs = 3000;
const retryMs = 500;
const timings = { leaseDurationMs: leaseMs, renewDeadlineMs: renewMs, retryPeriodMs: retryMs };

const microTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/leader-process.ts', import.meta.url));

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A namespace of this test, and the admin's view of the Leases in it. */
async function leaseSetup(): Promise<{ ns: string; leases: ResourceClient<Lease> }> {
  const admin = await kubeAdmin();
  const ns = await testNamespace(admin, 'le');
  return { ns, leases: new ResourceClient(admin, Leases, ns) };
}

/** A client of our own (not the harness's); closed when the test finishes unless closed before. */
async function ownClient(): Promise<{ client: KubeClient; close: () => Promise<void> }> {
  const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
  const client = new KubeClient(conn, { userAgent: 'leader-election-test' });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= client.close());
  onTestFinished(close);
  return { client, close };
}

/** Runs an in-process elector; it is stopped when the test finishes. */
function runElector(client: KubeClient, ns: string, identity: string) {
  const started = deferred<AbortSignal>();
  const stoppedAt = deferred<number>();
  const elector = new LeaderElector({
    client,
    namespace: ns,
    name: 'leader',
    identity,
    ...timings,
    onStartedLeading: (signal) => {
      started.resolve(signal);
    },
    onStoppedLeading: () => {
      stoppedAt.resolve(Date.now());
    },
  });
  const stop = new AbortController();
  const result = elector.run(stop.signal).then(
    () => undefined,
    (err: unknown) => err,
  );
  onTestFinished(async () => {
    stop.abort();
    await result;
  });
  return { elector, stop, result, started: started.promise, stoppedAt: stoppedAt.promise };
}

interface LeaderEvent {
  event: string;
  identity: string;
  at: number;
  leader?: string;
  code?: number;
}

/** A candidate in its own process (test/runtime/fixtures/leader-process.ts). */
class Candidate {
  readonly identity: string;
  readonly child: ChildProcess;
  readonly events: LeaderEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(ns: string, identity: string) {
    this.identity = identity;
    const args = [fixture, controlPlane().kube.kubeconfigPath, ns, 'leader', identity];
    args.push(String(leaseMs), String(renewMs), String(retryMs));
    this.child = spawn(process.execPath, args, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LE_LOG_LEVEL: 'debug' },
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        this.events.push(JSON.parse(line) as LeaderEvent);
      });
    }
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  find(event: string, match: Partial<LeaderEvent> = {}): LeaderEvent | undefined {
    return this.events.find(
      (e) =>
        e.event === event &&
        Object.entries(match).every(([k, v]) => e[k as keyof LeaderEvent] === v),
    );
  }

  /** Waits for the event; the event's own timestamp (`at`) is what timings are measured with. */
  waitFor(
    event: string,
    match: Partial<LeaderEvent> = {},
    timeoutMs = 20_000,
  ): Promise<LeaderEvent> {
    return eventually(
      `${this.identity} to report ${event}`,
      () => {
        if (!this.running && !this.find(event, match)) {
          throw new Error(`${this.identity} exited; stderr:\n${this.stderr.slice(-2000)}`);
        }
        return Promise.resolve(this.find(event, match));
      },
      { timeoutMs, intervalMs: 20 },
    );
  }
}

/** Starts candidates and kills whatever still runs when the test finishes, failed or not. */
function candidates(ns: string): (identity: string) => Candidate {
  const all: Candidate[] = [];
  onTestFinished(async () => {
    for (const c of all) if (c.running) c.child.kill('SIGKILL');
    await Promise.all(all.map((c) => c.exited));
  });
  return (identity) => {
    const c = new Candidate(ns, identity);
    all.push(c);
    return c;
  };
}

describe('leader election on a Lease', () => {
  it('writes a lease the API server accepts, with microsecond times, and renews it', async () => {
    const { ns, leases } = await leaseSetup();
    const { elector, stop, result, started } = runElector((await ownClient()).client, ns, 'solo');
    await started;
    expect(elector.isLeader()).toBe(true);
    expect(elector.getLeader()).toBe('solo');

    const first = await leases.get('leader');
    expect(first.spec).toMatchObject({
      holderIdentity: 'solo',
      leaseDurationSeconds: 4,
      leaseTransitions: 0,
    });
    expect(first.spec?.acquireTime).toMatch(microTime);
    expect(first.spec?.renewTime).toMatch(microTime);
    const firstRenew = parseTime(first.spec?.renewTime) ?? NaN;

    // Renewals every retryPeriod move renewTime; acquireTime stays.
    const renewed = await eventually(
      'two renewals',
      async () => {
        const lease = await leases.get('leader');
        const at = parseTime(lease.spec?.renewTime) ?? 0;
        return at >= firstRenew + 2 * retryMs ? lease : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    expect(renewed.spec?.renewTime).toMatch(microTime);
    expect(renewed.spec?.acquireTime).toBe(first.spec?.acquireTime);
    expect(renewed.spec?.holderIdentity).toBe('solo');
    expect(renewed.metadata?.resourceVersion).not.toBe(first.metadata?.resourceVersion);

    // A graceful stop releases the lease for the next candidate.
    stop.abort();
    expect(await result).toBeUndefined();
    const released = await leases.get('leader');
    expect(released.spec).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    expect(released.spec?.renewTime).toMatch(microTime);
    expect(elector.isLeader()).toBe(false);
  });

  it('elects one of two processes, fails over after kill -9, hands over at once on SIGTERM', async () => {
    const { ns, leases } = await leaseSetup();
    const start = candidates(ns);
    const pair = [start('a'), start('b')];

    const leader = await eventually(
      'one candidate to lead',
      () => Promise.resolve(pair.find((c) => c.find('started'))),
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const follower = pair.find((c) => c !== leader) ?? leader;
    await follower.waitFor('new-leader', { leader: leader.identity });

    // Exactly one leads, by both processes' accounts and by the Lease, for a while.
    const watchUntil = Date.now() + 2_000;
    let checks = 0;
    while (Date.now() < watchUntil) {
      const lease = await leases.get('leader');
      expect(lease.spec?.holderIdentity).toBe(leader.identity);
      expect(follower.find('started')).toBeUndefined();
      expect(leader.running && follower.running).toBe(true);
      checks++;
      await sleep(200);
    }
    expect(checks).toBeGreaterThanOrEqual(5);

    // kill -9: no release. The follower must wait out the lease, and take it within
    // leaseDuration + renewDeadline.
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    expect((await leader.exited).signal).toBe('SIGKILL');
    const tookOver = await follower.waitFor('started');
    const failoverMs = tookOver.at - killedAt;
    console.log(
      `leader election: failover after kill -9 took ${failoverMs} ms ` +
        `(leaseDuration ${leaseMs} ms, bound leaseDuration + renewDeadline = ${leaseMs + renewMs} ms)`,
    );
    expect(failoverMs).toBeLessThanOrEqual(leaseMs + renewMs);
    // It respected the dead leader's lease (last renewed at most ~retryPeriod before the kill).
    expect(failoverMs).toBeGreaterThanOrEqual(leaseMs - 2 * retryMs);
    expect((await leases.get('leader')).spec).toMatchObject({
      holderIdentity: follower.identity,
      leaseTransitions: 1,
    });

    // A new candidate sees the leader; then SIGTERM makes the leader release the lease.
    const next = start('c');
    await next.waitFor('new-leader', { leader: follower.identity });
    const termAt = Date.now();
    follower.child.kill('SIGTERM');
    const handedOver = await next.waitFor('started');
    const handoverMs = handedOver.at - termAt;
    console.log(
      `leader election: graceful handover after SIGTERM took ${handoverMs} ms ` +
        `(bound 2 × retryPeriod + 1 s = ${2 * retryMs + 1000} ms)`,
    );
    expect(handoverMs).toBeLessThanOrEqual(2 * retryMs + 1000);
    expect(await follower.exited).toEqual({ code: 0, signal: null });
    // The old leader's work had stopped before the new one started: no overlap.
    const stopping = follower.find('stopping');
    expect(stopping?.at).toBeLessThanOrEqual(handedOver.at);
    expect(follower.events.map((e) => e.event).slice(-3)).toEqual(['stopping', 'stopped', 'exit']);
    expect((await leases.get('leader')).spec).toMatchObject({
      holderIdentity: 'c',
      leaseTransitions: 2,
    });
  });

  it('stops leading when another holder overwrites the lease', async () => {
    const { ns, leases } = await leaseSetup();
    const { elector, result, started, stoppedAt } = runElector((await ownClient()).client, ns, 'a');
    const leading = await started;

    // Overwrite as the admin; the leader's renewals race with us, so retry on conflicts.
    const { overwrittenAt, resourceVersion } = await eventually(
      'the lease to be overwritten',
      async () => {
        const lease = await leases.get('leader');
        const at = Date.now();
        const written = await leases.update({
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: 'intruder',
            leaseDurationSeconds: 3600,
            acquireTime: formatMicroTime(at),
            renewTime: formatMicroTime(at),
          },
        });
        return { overwrittenAt: at, resourceVersion: written.metadata?.resourceVersion };
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );

    const error = await result;
    const lostAfterMs = (await stoppedAt) - overwrittenAt;
    console.log(
      `leader election: leader stopped ${lostAfterMs} ms after its lease was overwritten ` +
        `(bound renewDeadline + retryPeriod = ${renewMs + retryMs} ms)`,
    );
    expect(error).toBeInstanceOf(LeadershipLostError);
    expect(error).toMatchObject({ identity: 'a', holder: 'intruder' });
    expect(lostAfterMs).toBeLessThanOrEqual(renewMs + retryMs);
    expect(leading.aborted).toBe(true);
    expect(leading.reason).toBe(error);
    expect(elector.isLeader()).toBe(false);
    expect(elector.getLeader()).toBe('intruder');
    // It did not fight back: the lease is exactly as the intruder wrote it.
    const after = await leases.get('leader');
    expect(after.metadata?.resourceVersion).toBe(resourceVersion);
    expect(after.spec?.holderIdentity).toBe('intruder');
  });

  it('leaves no timer behind once run() has ended and the client is closed', async () => {
    const { ns, leases } = await leaseSetup();
    // Timers come and go around us (the test runner's 100 ms task-update throttle, HTTP/2 timers of
    // the admin client), so each count is the least of samples over 200 ms after an admin read.
    const readAndCount = async () => {
      const lease = await ignoreNotFound(leases.get('leader'));
      let timeouts = Infinity;
      for (let i = 0; i < 20; i++) {
        const count = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        timeouts = Math.min(timeouts, count);
        await sleep(10);
      }
      return { lease, timeouts };
    };
    const before = (await readAndCount()).timeouts;

    const { client, close } = await ownClient();
    const { stop, result, started } = runElector(client, ns, 'tidy');
    await started;
    const during = await eventually(
      'a renewal',
      async () => {
        const { lease, timeouts } = await readAndCount();
        return lease?.spec?.renewTime !== lease?.spec?.acquireTime ? timeouts : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100 },
    );

    stop.abort();
    expect(await result).toBeUndefined();
    await close();
    const after = await readAndCount();
    console.log(
      `leader election: Timeout count before ${before}, running ${during}, after ${after.timeouts}`,
    );
    expect(after.lease?.spec?.holderIdentity).toBe('');
    expect(after.timeouts).toBeLessThanOrEqual(before);
    // The count does see the elector's timers while it runs (so "no more after" means something).
    expect(during).toBeGreaterThan(after.timeouts);
  });
});
