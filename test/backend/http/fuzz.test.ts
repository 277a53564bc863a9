// The backend process under a flood of malformed requests (issue 16, item 9). One bin/backend,
// as an operator runs it (Redis sessions, the real dex as IdP, its own kube-apiserver since its
// controllers watch every namespace), gets 12,000 requests spread over every route, written as raw
// HTTP/1.1 bytes so that nothing a client library would refuse is left out: random methods,
// paths, query strings, headers, cookies, bearer tokens (garbage, tampered, and a real one of a
// user who may not bind), bodies, long and unicode values. Whatever comes in:
// - no answer is a 5xx and every request is answered (a reset connection counts as a failure);
// - the process never exits and its heap returns near where it started;
// - nothing is provisioned: the cluster holds the same namespaces, and no ClusterBinding,
//   export request or kube-binder service account appears, since no caller may bind;
// - the session store stays bounded (pending logins are capped).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces, ServiceAccounts } from '../../../src/kube/resources.ts';
import { controlPlane, eventually } from '../../harness/context.ts';
import { defaultDexClient, startDex, type Dex } from '../../harness/dex.ts';
import { startKubeCluster, type KubeCluster } from '../../harness/kube-cluster.ts';
import { freePort } from '../../harness/ports.ts';
import { startRedis, type RedisServer } from '../../harness/redis.ts';
import { repoRoot } from '../../harness/tools.ts';
import { followUntil } from './front-door.ts';

const requestCount = Number(process.env['KBT_FUZZ_REQUESTS'] ?? 12_000);
const concurrency = 8;
const seed = Number(process.env['KBT_FUZZ_SEED'] ?? Date.now() % 2 ** 31);

let dir: string;
let cluster: KubeCluster;
let admin: KubeClient;
let dex: Dex;
let redis: RedisServer;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'fuzz-'));
  port = await freePort();
  [cluster, dex, redis] = await Promise.all([
    startKubeCluster({ name: 'fuzz', baseDir: dir, controllerManager: false }),
    startDex({
      baseDir: dir,
      name: 'dex-fuzz',
      clients: [defaultDexClient([`http://127.0.0.1:${port}/api/callback`])],
    }),
    startRedis({ baseDir: dir, name: 'redis-fuzz' }),
  ]);
  admin = new KubeClient(cluster.adminConnection());
}, 180_000);

afterAll(async () => {
  await admin.close();
  await Promise.all([cluster.stop(), dex.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** bin/backend with dex as IdP; no group may bind, so every login is authenticated only. */
async function startBackend() {
  const client = dex.clients[0];
  if (!client) throw new Error('no dex client');
  const origin = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child = spawn(
    join(repoRoot, 'bin/backend'),
    [
      `--kubeconfig=${cluster.adminKubeconfigPath}`,
      '--leader-election-namespace=default',
      `--listen-address=127.0.0.1:${port}`,
      `--oidc-issuer-url=${dex.issuer}`,
      `--oidc-issuer-client-id=${client.id}`,
      `--oidc-callback-url=${origin}/api/callback`,
      '--oidc-allowed-groups=nobody-in-particular',
      `--max-pending-logins=${maxPendingLogins}`,
      `--redis-addr=${redis.address}`,
      // The flood comes from one loopback address: let it through so the handlers are fuzzed,
      // not only the rate limiter (test/backend/http/login-flood.test.ts covers the limiter).
      ...rateLimitFlags,
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL: 'error',
        OIDC_CLIENT_SECRET: client.secret,
        // The inspector on a kernel-chosen loopback port: the test asks it for a full garbage
        // collection before each heap reading, so the figures are live data, not GC timing.
        NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --inspect=127.0.0.1:0`,
      },
    },
  );
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  await eventually('the backend to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`backend exited ${child.exitCode}: ${stderr}`);
    return (await fetch(`${origin}/readyz`).catch(() => undefined))?.ok ? true : undefined;
  });
  const inspector = /ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(stderr)?.[0];
  if (!inspector) throw new Error(`no inspector address in the backend's output: ${stderr}`);
  return { origin, child, inspector, stderr: () => stderr };
}

/** Small, so that the flood must hit the cap of logins in flight. */
const maxPendingLogins = 25;

/** The per-address limit of the login routes, lifted for this test. */
const rateLimitFlags = ['--login-rate-limit=0'];

/** A real CLI login through dex: the token of a user who is authenticated but may not bind. */
async function unauthorizedToken(origin: string): Promise<string> {
  const url = new URL(`${origin}/api/authorize`);
  url.searchParams.set('redirect_url', 'http://127.0.0.1:1/callback');
  url.searchParams.set('session_id', 'FUZZ0SESSION00000000000000');
  url.searchParams.set('client_type', 'cli');
  const back = await followUntil(url.href, 'http://127.0.0.1:1/callback');
  return back.searchParams.get('access_token') ?? '';
}

const paths = [
  '/api/exports',
  '/exports',
  '/api/authorize',
  '/api/callback',
  '/api/logout',
  '/api/ping',
  '/api/templates',
  '/api/collections',
  '/api/consumer-status',
  '/api/bind',
  '/api/apply-binding',
  '/api/bindable-resources',
  '/api/konnector-manifests',
  '/api/info',
  '/api/healthz',
  '/healthz',
  '/readyz',
  '/metrics',
  '/',
  '/index.html',
  '/assets/index.js',
  '/oidc/.well-known/openid-configuration',
  '/api/nope',
  '//127.0.0.2/latest/meta-data',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/api/../../etc/passwd',
];

const queryKeys = [
  'cluster_id',
  'consumer_id',
  'session_id',
  'redirect_url',
  'client_type',
  'state',
  'code',
  'error',
  'error_description',
];

/** Values of every shape an attacker sends: empty, long, unicode, URLs, control characters. */
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.webUrl(),
  fc.constantFrom('', 'cli', 'ui', 'http://127.0.0.1:1/cb', 'null', '[]', '{}', '../..'),
  fc.string({ minLength: 2000, maxLength: 9000 }),
);

const randomQuery = fc
  .dictionary(fc.oneof(fc.constantFrom(...queryKeys), fc.string({ maxLength: 20 })), value, {
    maxKeys: 6,
  })
  .map((q) => new URLSearchParams(q).toString());

/** A login start that passes the checks (or nearly): it is what fills the session store. */
const loginQuery = fc
  .record({
    redirect_url: fc.constantFrom('http://127.0.0.1:1/callback', 'http://localhost:9/cb', '/'),
    session_id: fc.stringMatching(/^[A-Z2-7]{26}$/),
    client_type: fc.constantFrom('cli', 'cli', 'ui'),
    consumer_id: fc.oneof(fc.uuid(), value),
  })
  .map((q) => new URLSearchParams(q).toString());

const query = fc.oneof(randomQuery, randomQuery, loginQuery);

/** Header lines as raw text: some are valid, some are not HTTP at all. */
function headerLines(token: string) {
  const tokenArb = fc.oneof(
    fc.constant(`Bearer ${token}`),
    fc.constant(`Bearer ${tamper(token)}`),
    fc.string().map((s) => `Bearer ${s}`),
    fc.string({ minLength: 1000, maxLength: 20_000 }).map((s) => `Bearer ${s}`),
    fc.constantFrom('Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer x.y.z'),
  );
  const cookieArb = fc.oneof(
    fc.string().map((s) => `kube-bind=${encodeURIComponent(s)}`),
    value.map((s) => `kube-bind-state=${s}; kube-bind=${s}`),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
  );
  return fc
    .record(
      {
        authorization: tokenArb,
        cookie: cookieArb,
        origin: fc.oneof(fc.webUrl(), value),
        'x-requested-with': fc.constantFrom('kube-bind-ui', 'XMLHttpRequest', ''),
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/yaml',
        ),
        'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), value),
        extra: fc.tuple(fc.string({ maxLength: 30 }), value).map(([k, v]) => `${k}: ${v}`),
      },
      { requiredKeys: [] },
    )
    .map((h) => Object.entries(h).map(([k, v]) => (k === 'extra' ? v : `${k}: ${v}`)));
}

const body = fc.oneof(
  fc.constant(''),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      consumerKubeconfig: value,
      bindingName: value,
      metadata: fc.record({ name: value }),
      spec: fc.jsonValue(),
    })
    .map((v) => JSON.stringify(v)),
  fc.string({ unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constant('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
);

function tamper(token: string): string {
  const [head = '', payload = '', signature = ''] = token.split('.');
  const claims = Buffer.from(payload, 'base64url').toString();
  const forged = Buffer.from(claims.replace(/"sid":"[^"]*"/, '"sid":"other"')).toString(
    'base64url',
  );
  return `${head}.${forged}.${signature}`;
}

/** One request as the bytes that go on the wire. */
function requests(token: string) {
  return fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'),
      path: fc.oneof(
        fc.constantFrom(...paths),
        fc.constantFrom('/api/authorize', '/api/callback'),
        fc.constantFrom(...paths).map((p) => `${p}/${'x'.repeat(50)}`),
        fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => `/${s}`),
      ),
      query,
      headers: headerLines(token),
      body,
      // One in four is broken HTTP (raw bytes in the request line and headers, a wrong
      // length); the rest is HTTP the parser accepts, so that it reaches the routes.
      broken: fc.constantFrom(false, false, false, true),
    })
    .map((r) => {
      const payload = Buffer.from(r.method === 'GET' || r.method === 'HEAD' ? '' : r.body);
      const raw = r.query === '' ? r.path : `${r.path}?${r.query}`;
      const target = r.broken ? raw : encodeURI(raw).replace(/%25([0-9A-F]{2})/gi, '%$1');
      const headers = r.broken ? r.headers : r.headers.map(headerSafe).filter((h) => h !== '');
      const head = [
        `${r.method} ${target} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: close',
        ...headers,
        // Broken framing: a length short of the body, so its tail arrives as a second,
        // malformed request on the same connection.
        `Content-Length: ${r.broken ? Math.max(0, payload.length - 7) : payload.length}`,
      ].join('\r\n');
      return {
        label: `${r.method} ${r.path.slice(0, 60)}`,
        bytes: Buffer.concat([Buffer.from(`${head}\r\n\r\n`), payload]),
      };
    });
}

/** A header line as a client library would send it: a token name, printable ASCII value. */
function headerSafe(line: string): string {
  const colon = line.indexOf(':');
  const name = line.slice(0, colon);
  if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return '';
  return `${name}:${line.slice(colon + 1).replace(/[^\x20-\x7e]/g, '')}`;
}

/** Sends raw bytes and returns the response status (0 when the connection closed without one). */
function send(bytes: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let head = '';
    const done = (status: number) => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(30_000, () => done(-1));
    socket.on('error', () => done(head === '' ? 0 : statusOf(head)));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n')) done(statusOf(head));
    });
    socket.on('end', () => done(statusOf(head)));
    // Not half-closed: node's server drops a request whose client ended its side.
    socket.write(bytes);
  });
}

function statusOf(head: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  return match ? Number(match[1]) : 0;
}

/** Has the backend's V8 collect all garbage now (HeapProfiler.collectGarbage over the inspector). */
async function collectGarbage(inspector: string): Promise<void> {
  const ws = new WebSocket(inspector);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => {
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    };
    ws.onmessage = (event) => {
      if (String(event.data).includes('"id":1')) resolve();
    };
    ws.onerror = () => reject(new Error(`inspector ${inspector} failed`));
  });
  ws.close();
}

/** The backend's own gauges, from /metrics, after a full garbage collection. */
async function memory(backend: {
  origin: string;
  inspector: string;
}): Promise<{ heapMiB: number; rssMiB: number }> {
  await collectGarbage(backend.inspector);
  const text = await (await fetch(`${backend.origin}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    heapMiB: gauge('nodejs_heap_size_used_bytes') / 2 ** 20,
    rssMiB: gauge('process_resident_memory_bytes') / 2 ** 20,
  };
}

/** Everything that a bind would have created, by name. */
async function provisioned(): Promise<string[]> {
  const namespaces = (await new ResourceClient(admin, Namespaces).list()).items.map(
    (n) => `namespace/${n.metadata?.name ?? ''}`,
  );
  const bindings = (await new ResourceClient(admin, kb.ClusterBindings).listAll()).items.map(
    (b) => `clusterbinding/${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`,
  );
  const requests = (
    await new ResourceClient(admin, kb.APIServiceExportRequests).listAll()
  ).items.map((r) => `exportrequest/${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`);
  const binders = (await new ResourceClient(admin, ServiceAccounts).listAll()).items
    .filter((s) => s.metadata?.name === 'kube-binder')
    .map((s) => `serviceaccount/${s.metadata?.namespace ?? ''}/kube-binder`);
  return [...namespaces, ...bindings, ...requests, ...binders].sort();
}

describe('bin/backend under a flood of malformed requests', () => {
  it(`answers ${requestCount} random requests over every route without a 5xx`, async () => {
    const backend = await startBackend();
    const token = await unauthorizedToken(backend.origin);
    expect(token.split('.')).toHaveLength(3);
    const before = await provisioned();
    // Warm up (JIT, caches, lazily built routes) before the baseline.
    for (let i = 0; i < 200; i++) await fetch(`${backend.origin}/api/exports`);
    const start = await memory(backend);

    const cases = fc.sample(requests(token), { numRuns: requestCount, seed });
    const statuses = new Map<number, number>();
    let started302 = 0;
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i];
        if (!c) continue;
        const status = await send(c.bytes);
        if (status === 302 && c.label.includes('/api/authorize')) started302++;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500 || status <= 0) {
          failures.push(
            `#${i} → ${status}: ${JSON.stringify(c.bytes.toString('latin1').slice(0, 400))}`,
          );
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const after = await memory(backend);

    const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    // The figures a reader wants from a run; printed, not asserted on their own.
    console.info(
      `fuzz seed ${seed}: ${cases.length} requests in ${seconds.toFixed(1)} s; ` +
        `statuses ${summary.join(', ')}; heap ${start.heapMiB.toFixed(1)} → ` +
        `${after.heapMiB.toFixed(1)} MiB live, rss ${start.rssMiB.toFixed(0)} → ` +
        `${after.rssMiB.toFixed(0)} MiB`,
    );
    expect(failures.slice(0, 20), `seed ${seed}`).toEqual([]);
    expect(backend.child.exitCode, backend.stderr()).toBeNull();

    // What the flood left alive (pending logins live in Redis, not here) is small: the live
    // heap after a full collection is back within 16 MiB of where it started.
    expect(after.heapMiB - start.heapMiB).toBeLessThan(16);

    expect(await provisioned()).toEqual(before);
    // Logins in flight stay capped however many were started (the session store's own cap).
    const logins = await redisKeys('*login:*');
    console.info(`fuzz: ${started302} logins started, ${logins} in flight in Redis afterwards`);
    expect(started302, 'login starts in the flood').toBeGreaterThan(maxPendingLogins);
    expect(logins).toBeLessThanOrEqual(maxPendingLogins);
  }, 900_000);
});

/** How many keys of the session store match `pattern` (KEYS over the Redis protocol). */
function redisKeys(pattern: string): Promise<number> {
  const [host = '127.0.0.1', portText = '6379'] = redis.address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(portText) });
    let reply = '';
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      reply += c.toString();
      const match = /^\*(\d+)\r\n/.exec(reply);
      if (match) {
        socket.end();
        resolve(Number(match[1]));
      }
    });
    socket.write(`*2\r\n$4\r\nKEYS\r\n$${pattern.length}\r\n${pattern}\r\n`);
  });
}
