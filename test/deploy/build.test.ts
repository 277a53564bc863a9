// The bundled build (hack/build.ts, `npm run build`, run by setup) as bin/* uses it: every
// program has its bundle in dist/ and a stamp of the inputs it was made from; bin/* runs the
// bundle while it is current and prints exactly what the sources print; an edited source, a
// newer lock file or KBT_FROM_SOURCE=1 runs the sources instead; and the bundled backend
// becomes ready against a real kube-apiserver and serves the web UI (setup built web/dist),
// also from a copy of dist/ with no node_modules in reach. Which file a bin/* process runs is
// read from the process itself (a preload module records `process.argv[1]`;
// /proc/<pid>/cmdline), not inferred from its output.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { inputHash, programs, stampFile } from '../../hack/build.ts';
import { controlPlane } from '../harness/context.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess, waitUntilReady } from '../harness/process.ts';
import { repoRoot } from '../harness/tools.ts';

const exec = promisify(execFile);
const dist = join(repoRoot, 'dist');
const names = Object.keys(programs) as (keyof typeof programs)[];

let dir: string;
let argvPreload: string;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'build-'));
  // What setup runs: a no-op when dist/ is current, a build after a source changed.
  await exec(process.execPath, [join(repoRoot, 'hack/build.ts'), '--if-changed'], {
    cwd: repoRoot,
  });
  argvPreload = join(dir, 'record-argv.mjs');
  writeFileSync(
    argvPreload,
    "import { writeFileSync } from 'node:fs';\n" +
      "writeFileSync(process.env.KBT_TEST_ARGV_FILE, process.argv[1] ?? '');\n",
  );
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;

/** Runs `command`; returns its stdout and the script its Node.js ran (`process.argv[1]`). */
async function run(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; script: string }> {
  const argvFile = join(dir, `argv-${++runs}`);
  const preload = `--import=${pathToFileURL(argvPreload).href}`;
  const { stdout } = await exec(command, args, {
    env: {
      ...process.env,
      // The bundle unless the test asks for the sources, whatever the caller's environment says.
      KBT_FROM_SOURCE: '0',
      ...env,
      KBT_TEST_ARGV_FILE: argvFile,
      NODE_OPTIONS: [process.env['NODE_OPTIONS'], preload].filter(Boolean).join(' '),
    },
  });
  return { stdout, script: readFileSync(argvFile, 'utf8') };
}

describe('the bundled build', () => {
  it('has a bundle per program and a stamp of the current inputs', () => {
    for (const name of names) expect(existsSync(join(dist, `${name}.js`)), name).toBe(true);
    expect(readFileSync(join(dist, stampFile), 'utf8').trim()).toBe(inputHash());
  });

  it.each(names)('bin/%s runs its bundle and prints what the sources print', async (name) => {
    const bin = join(repoRoot, 'bin', name);
    for (const flag of ['--help', '--version']) {
      const built = await run(bin, [flag]);
      const source = await run(bin, [flag], { KBT_FROM_SOURCE: '1' });
      expect(built.script).toBe(join(dist, `${name}.js`));
      expect(source.script).toBe(join(repoRoot, programs[name]));
      expect(built.stdout).toBe(source.stdout);
      expect(built.stdout).not.toBe('');
    }
  });
});

describe("bin/*'s choice between the bundle and the sources", () => {
  // A checkout of its own with a stand-in bundle and entry point, so that the dates can be set
  // freely: the launcher is the real one.
  let tree: string;
  const stamp = () => join(tree, 'dist', stampFile);
  const entry = () => join(tree, programs.konnector);
  const at = (path: string, seconds: number) => {
    const when = new Date(Date.now() + seconds * 1000);
    utimesSync(path, when, when);
  };

  beforeAll(() => {
    tree = join(dir, 'tree');
    for (const d of ['bin', 'hack/build', 'dist', 'src/konnector/cmd']) {
      mkdirSync(join(tree, d), { recursive: true });
    }
    symlinkSync(join(repoRoot, 'hack/tools'), join(tree, 'hack/tools'));
    copyFileSync(join(repoRoot, 'bin/konnector'), join(tree, 'bin/konnector'));
    chmodSync(join(tree, 'bin/konnector'), 0o755);
    copyFileSync(join(repoRoot, 'hack/build/launch.sh'), join(tree, 'hack/build/launch.sh'));
    writeFileSync(join(tree, 'dist/konnector.js'), "console.log('bundle');\n");
    writeFileSync(entry(), "console.log('source');\n");
    writeFileSync(join(tree, 'package-lock.json'), '{}\n');
  });

  /** What the stand-in tree's bin/konnector ran, after dating the inputs before the stamp. */
  async function ranAfter(change: () => void, env: Record<string, string> = {}) {
    writeFileSync(stamp(), 'hash\n');
    for (const path of [entry(), join(tree, 'src/konnector/cmd'), join(tree, 'src/konnector')]) {
      at(path, -100);
    }
    at(join(tree, 'src'), -100);
    at(join(tree, 'package-lock.json'), -100);
    at(stamp(), -10);
    change();
    const { stdout } = await run(join(tree, 'bin/konnector'), [], env);
    return stdout.trim();
  }

  it('runs the bundle while the stamp is newer than every input', async () => {
    expect(await ranAfter(() => {})).toBe('bundle');
  });

  it('runs the sources after a source or the lock file changed', async () => {
    expect(await ranAfter(() => at(entry(), 0))).toBe('source');
    expect(await ranAfter(() => at(join(tree, 'package-lock.json'), 0))).toBe('source');
  });

  it('runs the sources when asked to, or without a stamp', async () => {
    expect(await ranAfter(() => {}, { KBT_FROM_SOURCE: '1' })).toBe('source');
    expect(
      await ranAfter(() => {
        rmSync(stamp());
      }),
    ).toBe('source');
  });
});

describe('the bundled backend', () => {
  let cluster: KubeCluster;

  beforeAll(async () => {
    // Its own cluster: the backend's controllers watch every namespace.
    cluster = await startKubeCluster({ name: 'build', baseDir: dir, controllerManager: false });
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  });

  /** Starts `command` with the backend's flags; resolves once /readyz answers 200. */
  async function readyBackend(name: string, command: string, args: readonly string[] = []) {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const backend = new ManagedProcess({
      name,
      command,
      args: [
        ...args,
        `--kubeconfig=${cluster.adminKubeconfigPath}`,
        '--leader-election-namespace=default',
        `--listen-address=127.0.0.1:${port}`,
        '--oidc-type=embedded',
        `--oidc-issuer-url=${origin}/oidc`,
        `--oidc-callback-url=${origin}/api/callback`,
      ],
      logDir: dir,
      env: { LOG_LEVEL: 'info', KBT_FROM_SOURCE: '0' },
    });
    onTestFinished(() => backend.stop().then(() => undefined));
    await waitUntilReady(backend, 'ready', async () => {
      const res = await fetch(`${origin}/readyz`);
      return res.status === 200;
    });
    return { backend, origin };
  }

  it('runs from bin/backend, answers /readyz and serves the web UI', async () => {
    const { backend, origin } = await readyBackend(
      'bundled-backend',
      join(repoRoot, 'bin/backend'),
    );
    // setpriv and bin/backend exec in turn: the pid is the Node.js process's.
    const argv = readFileSync(`/proc/${backend.pid}/cmdline`, 'utf8').split('\0');
    // Node's own flags (hack/build/node-flags) come first, then the script it runs.
    expect(argv.slice(1).find((a) => !a.startsWith('--'))).toBe(join(dist, 'backend.js'));
    expect(argv).toContain('--max-semi-space-size=1');
    // The web UI is read relative to the front door's module: found from dist/ too.
    const ui = await fetch(`${origin}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toBe(readFileSync(join(repoRoot, 'web/dist/index.html'), 'utf8'));
  });

  it('needs no node_modules: a copy of dist/ beside package.json and web/dist runs', async () => {
    // What an image would ship instead of src/ and node_modules; no node_modules above it.
    const app = join(dir, 'app');
    cpSync(dist, join(app, 'dist'), { recursive: true });
    cpSync(join(repoRoot, 'web/dist'), join(app, 'web/dist'), { recursive: true });
    copyFileSync(join(repoRoot, 'package.json'), join(app, 'package.json'));
    const { origin } = await readyBackend('copied-backend', process.execPath, [
      join(app, 'dist/backend.js'),
    ]);
    // The JSON schemas (fastify, ajv) compile from the bundle alone.
    const exports = (await (await fetch(`${origin}/api/exports`)).json()) as { kind?: string };
    expect(exports.kind).toBe('BindingProvider');
    expect((await fetch(`${origin}/`)).status).toBe(200);
  });
});
