// The backend and konnector images (hack/image/build.sh), for tests that run pods from them: built
// when their inputs changed (about a minute), else read from the build's manifest (seconds).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './tools.ts';

export interface BuiltImage {
  /** e.g. `ghcr.io/kube-bind-ts/konnector:v0.1.0`. */
  ref: string;
  /** A docker-archive that `ctr -n k8s.io images import` and `podman load` accept. */
  archive: string;
  /** Bytes, uncompressed. */
  size: number;
  archiveSize: number;
  gzipSize: number;
}

export interface BuiltImages {
  /** The key of the inputs the images were built from. */
  key: string;
  version: string;
  commit: string;
  /** podman or docker. */
  engine: string;
  backend: BuiltImage;
  konnector: BuiltImage;
}

let building: Promise<BuiltImages> | undefined;

/** Builds the images if their inputs changed; the build script serializes concurrent callers. */
export function ensureImages(): Promise<BuiltImages> {
  building ??= build();
  return building;
}

async function build(): Promise<BuiltImages> {
  // The script runs the pinned Node; put the one running the tests first on PATH.
  const path = `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
  const { stdout } = await promisify(execFile)('bash', [join(repoRoot, 'hack/image/build.sh')], {
    env: { ...process.env, PATH: path },
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const manifest = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(await readFile(manifest, 'utf8')) as BuiltImages;
}
