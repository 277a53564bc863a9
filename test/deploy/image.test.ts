// The backend and konnector images (hack/image/build.sh) as a node would get them: the saved
// archive is unpacked layer by layer into a root filesystem and inspected (the program's bundle
// and Node.js flags, no sources or node_modules), and the image's own Node runs its entrypoint
// from it, as uid 65532 on a read-only mount (chroot in a private mount
// namespace; a pod's runtime does the same with more isolation): `--version`, then the backend
// and the konnector until ready against a cluster of the test's own.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlane } from '../harness/context.ts';
import { repoRoot } from '../harness/tools.ts';
import { ensureImages, type BuiltImages } from '../harness/images.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { freePort } from '../harness/ports.ts';
import { ManagedProcess } from '../harness/process.ts';

const exec = promisify(execFile);

interface ImageConfig {
  config: {
    User?: string;
    Entrypoint?: string[];
    Env?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
}

interface Unpacked {
  rootfs: string;
  config: ImageConfig;
  repoTags: string[];
  layers: number;
}

let images: BuiltImages;
let dir: string;
const unpacked = new Map<string, Unpacked>();

/** Extracts a docker-archive, then its layers in order, as a runtime would stack them. */
async function unpack(name: string, archive: string): Promise<Unpacked> {
  const tarDir = join(dir, `${name}-archive`);
  const rootfs = join(dir, `${name}-rootfs`);
  mkdirSync(tarDir);
  mkdirSync(rootfs);
  await exec('tar', ['-xf', archive, '-C', tarDir]);
  const [manifest] = JSON.parse(readFileSync(join(tarDir, 'manifest.json'), 'utf8')) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
  if (!manifest) throw new Error(`${archive}: no image in manifest.json`);
  for (const layer of manifest.Layers) {
    await exec('tar', ['-xf', join(tarDir, layer), '-C', rootfs, '--same-owner']);
  }
  const config = JSON.parse(readFileSync(join(tarDir, manifest.Config), 'utf8')) as ImageConfig;
  rmSync(tarDir, { recursive: true });
  return { rootfs, config, repoTags: manifest.RepoTags, layers: manifest.Layers.length };
}

/** A program's Node.js flags as hack/build/node-flags lists them (`<program> <flag>…`). */
function nodeFlags(program: string): string[] {
  const lines = readFileSync(join(repoRoot, 'hack/build/node-flags'), 'utf8').split('\n');
  const line = lines.map((l) => l.trim().split(/\s+/)).find(([first]) => first === program);
  return line?.slice(1) ?? [];
}

/** Runs a command in `rootfs` as 65532:65532 with the root filesystem mounted read-only. */
function inImage(rootfs: string, command: readonly string[], binds: readonly string[] = []) {
  const script = [
    'set -e',
    'root=$1; shift',
    'mount --bind "$root" "$root"',
    // Read-only host directories at the same paths inside (kubeconfigs and their files).
    ...binds.map((b) => `mount --bind -o ro "${b}" "$root${b}"`),
    'mount -o remount,bind,ro "$root"',
    'exec chroot --userspec=65532:65532 "$root" "$@"',
  ].join('\n');
  for (const b of binds) mkdirSync(join(rootfs, b), { recursive: true });
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'bash',
    '-c',
    script,
    'image',
    rootfs,
    ...command,
  ];
}

beforeAll(async () => {
  images = await ensureImages();
  dir = mkdtempSync(join(controlPlane().runDir, 'image-'));
  for (const name of ['backend', 'konnector'] as const) {
    unpacked.set(name, await unpack(name, images[name].archive));
  }
}, 600_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(['backend', 'konnector'] as const)('the %s image', (name) => {
  const image = () => {
    const u = unpacked.get(name);
    if (!u) throw new Error(`${name} was not unpacked`);
    return u;
  };
  const has = (path: string) => existsSync(join(image().rootfs, path));

  it('is tagged with the release version and stamped with it', () => {
    const { config, repoTags } = image();
    expect(images[name].ref).toBe(`ghcr.io/kube-bind-ts/${name}:${images.version}`);
    expect(repoTags).toContain(images[name].ref);
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.title': `kube-bind-ts ${name}`,
      'org.opencontainers.image.version': images.version,
      'org.opencontainers.image.revision': images.commit,
      'org.opencontainers.image.source': 'https://github.com/kube-bind-ts/kube-bind-ts',
    });
    const info = JSON.parse(readFileSync(join(image().rootfs, 'app/build-info.json'), 'utf8')) as {
      version: string;
      commit: string;
    };
    expect(info).toMatchObject({ version: images.version, commit: images.commit });
  });

  it('runs its bundle on Node with its Node.js flags as the non-root user', () => {
    const { config } = image();
    expect(config.config.User).toBe('65532:65532');
    // The flags bin/* passes too (hack/build/launch.sh); both programs have some today.
    const flags = nodeFlags(name);
    expect(flags).not.toEqual([]);
    expect(config.config.Entrypoint).toEqual([
      '/usr/local/bin/node',
      ...flags,
      `/app/dist/${name}.js`,
    ]);
    // As bin/* runs them: two glibc malloc arenas (hack/build/node-flags says why).
    expect(config.config.Env).toContain('MALLOC_ARENA_MAX=2');
    // The bundles are ES modules with a .js name: only package.json's type says so.
    const pkg = JSON.parse(readFileSync(join(image().rootfs, 'app/package.json'), 'utf8')) as {
      type?: string;
    };
    expect(pkg.type).toBe('module');
    const passwd = readFileSync(join(image().rootfs, 'etc/passwd'), 'utf8');
    expect(passwd).toContain('nonroot:x:65532:65532:');
  });

  it('has no shell, package manager, tests, sources or node_modules', () => {
    for (const path of [
      'bin/sh',
      'bin/bash',
      'usr/bin/sh',
      'bin/dash',
      'usr/bin/apt',
      'usr/bin/apt-get',
      'usr/bin/dpkg',
      'var/lib/dpkg',
      'sbin/ldconfig',
      'usr/share/man',
      'usr/local/bin/npm',
      'usr/local/lib/node_modules',
      'app/test',
      'app/bench',
      'app/hack',
      'app/docs',
      'app/src',
      'app/node_modules',
      'app/dist/.stamp',
    ]) {
      expect.soft(has(path), path).toBe(false);
    }
    // Only the bundles: no source maps (read only under --enable-source-maps).
    const dist = readdirSync(join(image().rootfs, 'app/dist'));
    expect(dist).toContain(`${name}.js`);
    expect(dist.filter((f) => !f.endsWith('.js'))).toEqual([]);
    expect(readdirSync(join(image().rootfs, 'usr/local/bin'))).toEqual(['node']);
    // The web UI is the backend's only.
    expect(has('app/web/dist/index.html')).toBe(name === 'backend');
  });

  it('has the C/C++ runtime, CA certificates and time zones', () => {
    for (const lib of [
      'lib64/ld-linux-x86-64.so.2',
      'lib/x86_64-linux-gnu/libc.so.6',
      'lib/x86_64-linux-gnu/libgcc_s.so.1',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'usr/share/zoneinfo/Europe/Berlin',
    ]) {
      expect.soft(has(lib), lib).toBe(true);
    }
    const bundle = readFileSync(join(image().rootfs, 'etc/ssl/certs/ca-certificates.crt'), 'utf8');
    expect(bundle.match(/-----BEGIN CERTIFICATE-----/g)?.length).toBeGreaterThan(100);
  });

  it('carries the licences of Node.js and of the packages it bundles', () => {
    expect(has('usr/local/share/doc/node/LICENSE')).toBe(true);
    const listed = readFileSync(join(image().rootfs, 'app/licenses/packages.txt'), 'utf8');
    const fastify = /^(fastify@\S+) MIT$/m.exec(listed)?.[1];
    expect(fastify, listed).toBeDefined();
    expect(has(`app/licenses/${fastify}/LICENSE`)).toBe(true);
  });

  it("lets its user write nowhere (all files are root's; /tmp is sticky)", async () => {
    const writable: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const st = await lstat(join(image().rootfs, rel));
      if (st.isSymbolicLink()) return;
      const mine = st.uid === 65532 && (st.mode & 0o200) !== 0;
      const anyone = (st.mode & 0o002) !== 0 && !(st.isDirectory() && (st.mode & 0o1000) !== 0);
      if (mine || anyone) writable.push(rel);
      if (st.isDirectory()) {
        for (const e of readdirSync(join(image().rootfs, rel))) await walk(join(rel, e));
      }
    };
    await walk('.');
    expect(writable).toEqual([]);
  });

  it('prints its version through the entrypoint on a read-only root', async () => {
    const { config, rootfs } = image();
    const [cmd = 'unshare', ...args] = inImage(rootfs, [
      ...(config.config.Entrypoint ?? []),
      '--version',
    ]);
    const { stdout } = await exec(cmd, args);
    expect(stdout).toBe(
      `kube-bind-ts ${name} ${images.version} (commit ${images.commit.replace(/^([0-9a-f]{7})[0-9a-f]+/, '$1')})\n`,
    );
  });
});

describe('the images serving on a read-only root', () => {
  let cluster: KubeCluster | undefined;
  let kubeDir = '';
  let kubeconfig = '';
  beforeAll(async () => {
    cluster = await startKubeCluster({ name: 'image', baseDir: dir, controllerManager: false });
    // The admin kubeconfig is root's (0600); the image's user gets a readable copy.
    kubeDir = join(dir, 'kube');
    mkdirSync(kubeDir, { mode: 0o755 });
    kubeconfig = join(kubeDir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(cluster.adminKubeconfigPath), { mode: 0o644 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** The flags each program needs to serve /readyz against the test's own cluster. */
  const flagsFor = (name: 'backend' | 'konnector', port: number): string[] =>
    name === 'konnector'
      ? [`--server-address=127.0.0.1:${port}`, '--lease-namespace=kube-system']
      : [
          `--listen-address=127.0.0.1:${port}`,
          '--leader-election-namespace=default',
          '--oidc-type=embedded',
          `--oidc-issuer-url=http://127.0.0.1:${port}/oidc`,
          `--oidc-callback-url=http://127.0.0.1:${port}/api/callback`,
        ];

  it.each(['backend', 'konnector'] as const)(
    '%s starts, gets ready and writes nothing to disk',
    async (name) => {
      const image = unpacked.get(name);
      if (!image) throw new Error(`${name} was not unpacked`);
      const port = await freePort();
      const [cmd = 'unshare', ...args] = inImage(
        image.rootfs,
        [
          ...(image.config.config.Entrypoint ?? []),
          `--kubeconfig=${kubeconfig}`,
          ...flagsFor(name, port),
        ],
        [kubeDir],
      );
      const proc = new ManagedProcess({ name: `${name}-image`, command: cmd, args, logDir: dir });
      try {
        const deadline = Date.now() + 60_000;
        let status = 0;
        while (Date.now() < deadline && proc.running && status !== 200) {
          status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.status,
            () => 0,
          );
          if (status !== 200) await new Promise((r) => setTimeout(r, 250));
        }
        expect(status, proc.tail()).toBe(200);
        expect(proc.tail()).not.toMatch(/EROFS|EACCES/);
        if (name === 'backend') {
          // The web UI comes from the image's /app/web/dist.
          const page = await fetch(`http://127.0.0.1:${port}/`);
          expect(page.status).toBe(200);
          expect(await page.text()).toMatch(/^<!doctype html>/i);
        }
      } finally {
        await proc.stop(5_000);
      }
    },
  );
});
