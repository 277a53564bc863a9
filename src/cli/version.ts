// What `--version` prints and which images belong to this release. An image carries
// build-info.json beside src/ (stamped by hack/image/build.sh); a checkout has none, so the
// version comes from package.json and the commit from git, best effort.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Not an ES import (why: eslint.config.js, the builtins rule).
const { readFileSync } = process.getBuiltinModule('node:fs');

export interface BuildInfo {
  /** `v` + package.json's version, e.g. `v0.1.0`. */
  version: string;
  /** The git commit the build came from (short), or `dev` when unknown. */
  commit: string;
  /** When the image was built (RFC 3339); absent in a checkout. */
  built?: string;
}

/** Where images are published; the tag is the release version. */
export const imageRegistry = 'ghcr.io/kube-bind-ts';

const appRoot = fileURLToPath(new URL('../../', import.meta.url));

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function gitCommit(root: string): string {
  try {
    const out = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    });
    return out.toString().trim() || 'dev';
  } catch {
    return 'dev';
  }
}

/** Reads the stamped build info under `root`, else package.json (+ git). */
export function readBuildInfo(root: string = appRoot): BuildInfo {
  const stamped = readJson(`${root}/build-info.json`);
  if (typeof stamped?.['version'] === 'string' && typeof stamped['commit'] === 'string') {
    const built = typeof stamped['built'] === 'string' ? stamped['built'] : undefined;
    return { version: stamped['version'], commit: stamped['commit'], ...(built && { built }) };
  }
  const pkg = readJson(`${root}/package.json`);
  const version = typeof pkg?.['version'] === 'string' ? `v${pkg['version']}` : 'v0.0.0-dev';
  return { version, commit: gitCommit(root) };
}

let releaseVersion: string | undefined;

/** This release's version (`v0.1.0`), without asking git: cheap enough for module load. */
export function appVersion(root: string = appRoot): string {
  if (root !== appRoot) return versionOnly(root);
  releaseVersion ??= versionOnly(root);
  return releaseVersion;
}

function versionOnly(root: string): string {
  const stamped = readJson(`${root}/build-info.json`)?.['version'];
  if (typeof stamped === 'string') return stamped;
  const pkg = readJson(`${root}/package.json`)?.['version'];
  return typeof pkg === 'string' ? `v${pkg}` : 'v0.0.0-dev';
}

/** The line `<program> --version` prints, e.g. `kube-bind-ts backend v0.1.0 (commit abcdef1)`. */
export function versionLine(program: string, info: BuildInfo = readBuildInfo()): string {
  // Seven hex digits, as git abbreviates; a `-dirty` mark stays.
  const commit = info.commit.replace(/^([0-9a-f]{7})[0-9a-f]+/, '$1');
  return `kube-bind-ts ${program} ${info.version} (commit ${commit})`;
}

/** Our image of `component` at this release, e.g. `ghcr.io/kube-bind-ts/konnector:v0.1.0`. */
export function releaseImage(component: 'backend' | 'konnector', version = appVersion()): string {
  return `${imageRegistry}/${component}:${version}`;
}
