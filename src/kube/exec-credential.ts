// Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as client-go runs them:
// the kubeconfig's `exec` names a program; it gets an ExecCredential request in the
// KUBERNETES_EXEC_INFO environment variable and prints an ExecCredential whose status holds a
// token and/or a client certificate and key, optionally with an expiry. The credential is kept
// until that expiry (forever without one) and fetched again after; concurrent callers share one
// run. Output size and run time are bounded (bounded-process.ts).
import { isAbsolute, resolve, sep } from 'node:path';
import { isatty } from 'node:tty';
import { runBounded } from './bounded-process.ts';

/** The apiVersions of ExecCredential we speak (v1alpha1 was removed in Kubernetes 1.24). */
export const execApiVersions = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
] as const;
export type ExecApiVersion = (typeof execApiVersions)[number];

const interactiveModes = ['Never', 'IfAvailable', 'Always'] as const;
type InteractiveMode = (typeof interactiveModes)[number];

/** The environment variable that carries the ExecCredential request. */
export const execInfoEnv = 'KUBERNETES_EXEC_INFO';

export interface ExecConfig {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: ExecApiVersion;
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode: InteractiveMode;
}

/** What a plugin learns of the cluster with provideClusterInfo (ExecCredential spec.cluster). */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** base64 of the CA PEM. */
  'certificate-authority-data'?: string;
  config?: unknown;
}

export interface ExecCredential {
  token?: string;
  certPem?: string;
  keyPem?: string;
  /** Milliseconds since the epoch; undefined: valid until the process ends. */
  expiresAt?: number;
}

export interface ExecCredentialOptions {
  cluster?: ExecClusterInfo;
  /** Directory a relative command with a path separator resolves against (kubeconfig's dir). */
  dir?: string;
  now?: () => number;
  stdinIsTTY?: boolean;
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  timeoutMs?: number;
}

const defaults = {
  maxStdoutBytes: 1024 * 1024,
  maxStderrBytes: 4096,
  // Long enough for a plugin that sends the user through a browser login (kubelogin waits 3 min).
  timeoutMs: 200_000,
};

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A kubeconfig user's `exec` mapping; errors start with `where`. */
export function parseExecConfig(raw: unknown, where: string): ExecConfig {
  if (!isObject(raw)) throw new Error(`${where} is not a mapping`);
  const str = (key: string): string => {
    const v = raw[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new Error(`${where}: ${key} is not a string`);
    return v;
  };
  const command = str('command');
  if (!command) throw new Error(`${where} has no command`);
  const apiVersion = str('apiVersion');
  if (!(execApiVersions as readonly string[]).includes(apiVersion)) {
    throw new Error(
      `${where}: apiVersion "${apiVersion}" is not supported (use ${execApiVersions.join(' or ')})`,
    );
  }
  const args = raw['args'] ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new Error(`${where}: args is not a list of strings`);
  }
  const env = raw['env'] ?? [];
  if (
    !Array.isArray(env) ||
    !env.every(
      (e) => isObject(e) && typeof e['name'] === 'string' && typeof e['value'] === 'string',
    )
  ) {
    throw new Error(`${where}: env is not a list of {name, value} strings`);
  }
  // client-go defaults it for v1beta1 only; v1 kubeconfigs must say.
  const mode = str('interactiveMode') || (apiVersion.endsWith('/v1') ? '' : 'IfAvailable');
  if (!(interactiveModes as readonly string[]).includes(mode)) {
    throw new Error(`${where}: interactiveMode must be one of ${interactiveModes.join(', ')}`);
  }
  const provide = raw['provideClusterInfo'] ?? false;
  if (typeof provide !== 'boolean') throw new Error(`${where}: provideClusterInfo is not boolean`);
  const config: ExecConfig = {
    command,
    args,
    env: (env as Doc[]).map((e) => ({ name: e['name'] as string, value: e['value'] as string })),
    apiVersion: apiVersion as ExecApiVersion,
    provideClusterInfo: provide,
    interactiveMode: mode as InteractiveMode,
  };
  const hint = str('installHint');
  if (hint) config.installHint = hint;
  return config;
}

/** One plugin's credential, cached until it expires. */
export class ExecCredentialSource {
  readonly #config: ExecConfig;
  readonly #opts: ExecCredentialOptions;
  #cached: ExecCredential | undefined;
  #running: Promise<ExecCredential> | undefined;

  constructor(config: ExecConfig, opts: ExecCredentialOptions = {}) {
    this.#config = config;
    this.#opts = opts;
  }

  /** The cached credential while valid, else the result of a (shared) new run. */
  get(): Promise<ExecCredential> {
    const now = (this.#opts.now ?? Date.now)();
    const cached = this.#cached;
    if (cached && (cached.expiresAt === undefined || now < cached.expiresAt)) {
      return Promise.resolve(cached);
    }
    this.#running ??= this.#run().then(
      (cred) => {
        this.#cached = cred;
        this.#running = undefined;
        return cred;
      },
      (err: unknown) => {
        this.#running = undefined;
        throw err;
      },
    );
    return this.#running;
  }

  async #run(): Promise<ExecCredential> {
    const c = this.#config;
    const o = this.#opts;
    const interactive = this.#interactive();
    const request = {
      apiVersion: c.apiVersion,
      kind: 'ExecCredential',
      spec: { interactive, ...(c.provideClusterInfo && o.cluster && { cluster: o.cluster }) },
    };
    const command =
      o.dir !== undefined && !isAbsolute(c.command) && c.command.includes(sep)
        ? resolve(o.dir, c.command)
        : c.command;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of c.env) env[e.name] = e.value;
    env[execInfoEnv] = JSON.stringify(request);
    const name = `exec plugin "${command}"`;
    let result;
    try {
      result = await runBounded(command, c.args, {
        env,
        interactive,
        maxStdoutBytes: o.maxStdoutBytes ?? defaults.maxStdoutBytes,
        maxStderrBytes: o.maxStderrBytes ?? defaults.maxStderrBytes,
        timeoutMs: o.timeoutMs ?? defaults.timeoutMs,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not found' : `cannot be run (${code ?? String(err)})`;
      throw new Error(`${name} ${why}${c.installHint ? `\n\n${c.installHint}` : ''}`, {
        cause: err,
      });
    }
    const stderr = result.stderr.trim() ? `; stderr: ${result.stderr.trim()}` : '';
    if (result.killed !== undefined) throw new Error(`${name} was stopped: ${result.killed}`);
    if (result.code !== 0) {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
      throw new Error(`${name} failed: it ${how}${stderr}`);
    }
    return parseResponse(result.stdout, c.apiVersion, name);
  }

  #interactive(): boolean {
    // isatty, not process.stdin.isTTY: that getter opens stdin as a stream.
    const tty = this.#opts.stdinIsTTY ?? isatty(0);
    switch (this.#config.interactiveMode) {
      case 'Never':
        return false;
      case 'IfAvailable':
        return tty;
      case 'Always':
        if (!tty) {
          throw new Error(
            `exec plugin "${this.#config.command}" needs a terminal (interactiveMode Always), ` +
              'and standard input is not one',
          );
        }
        return true;
    }
  }
}

/** The ExecCredential a plugin printed. */
function parseResponse(stdout: string, apiVersion: string, name: string): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`${name} did not print an ExecCredential (not JSON)`);
  }
  if (!isObject(doc) || doc['kind'] !== 'ExecCredential') {
    throw new Error(`${name} did not print an ExecCredential`);
  }
  if (doc['apiVersion'] !== apiVersion) {
    throw new Error(
      `${name} answered with apiVersion ${String(doc['apiVersion'])}, asked for ${apiVersion}`,
    );
  }
  const status = doc['status'];
  if (!isObject(status)) throw new Error(`${name} returned no status`);
  const field = (key: string): string => {
    const v = status[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new Error(`${name}: status.${key} is not a string`);
    return v;
  };
  const cred: ExecCredential = {};
  const token = field('token');
  const cert = field('clientCertificateData');
  const key = field('clientKeyData');
  if (!token && !cert) throw new Error(`${name} returned neither a token nor a certificate`);
  if (!cert !== !key) throw new Error(`${name} returned a certificate or key without the other`);
  if (token) cred.token = token;
  if (cert) cred.certPem = cert;
  if (key) cred.keyPem = key;
  const expiry = field('expirationTimestamp');
  if (expiry) {
    const at = Date.parse(expiry);
    if (Number.isNaN(at)) throw new Error(`${name}: status.expirationTimestamp is not a time`);
    cred.expiresAt = at;
  }
  return cred;
}
