// The pause image of the test nodes: containerd's sandbox image and the smallest workload the
// node tests run. The machines cannot pull from a registry, so it is built here from
// hack/pause/pause.c (a static binary) and packed into a Docker image archive that
// `ctr images import` reads. Cached under the tools cache, keyed by the source's hash, so the
// gcc and tar work happens once per machine.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, repoRoot } from './tools.ts';

const run = promisify(execFile);

export interface LocalImage {
  /** The reference pods and containerd use, e.g. `localhost/kube-bind-ts/pause:0123abcd4567`. */
  ref: string;
  /** A Docker image archive (`docker save` format) for `ctr images import`. */
  archive: string;
}

const sourcePath = join(repoRoot, 'hack', 'pause', 'pause.c');

/** Builds (once per source version) and returns the pause image. */
export async function pauseImage(): Promise<LocalImage> {
  const source = readFileSync(sourcePath);
  const tag = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const ref = `localhost/kube-bind-ts/pause:${tag}`;
  const dir = join(cacheDir(), 'pause', tag);
  const archive = join(dir, 'pause.tar');
  if (existsSync(archive)) return { ref, archive };

  mkdirSync(join(cacheDir(), 'pause'), { recursive: true });
  // Test workers build concurrently: each works in its own directory and renames it into place.
  const work = mkdtempSync(join(cacheDir(), 'pause', `.build-${tag}-`));
  try {
    await buildArchive(work, ref);
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!existsSync(archive)) throw err; // another worker won the race: use its result
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ref, archive };
}

async function buildArchive(work: string, ref: string): Promise<void> {
  const rootfs = join(work, 'rootfs');
  const image = join(work, 'image');
  mkdirSync(rootfs);
  mkdirSync(image);
  await run('gcc', ['-static', '-Os', '-s', '-o', join(rootfs, 'pause'), sourcePath]);
  // Fixed owner and times: the same source gives the same layer digest on every machine.
  const reproducible = ['--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name'];
  const layer = join(image, 'layer.tar');
  await run('tar', [...reproducible, '-cf', layer, '-C', rootfs, 'pause']);
  const diffId = `sha256:${sha256(readFileSync(layer))}`;
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/pause'], User: '65535:65535' },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  });
  const configName = `${sha256(Buffer.from(config))}.json`;
  writeFileSync(join(image, configName), config);
  const manifest = [{ Config: configName, RepoTags: [ref], Layers: ['layer.tar'] }];
  writeFileSync(join(image, 'manifest.json'), JSON.stringify(manifest));
  const archive = join(work, 'pause.tar');
  await run('tar', [
    ...reproducible,
    '-cf',
    archive,
    '-C',
    image,
    'manifest.json',
    configName,
    'layer.tar',
  ]);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
