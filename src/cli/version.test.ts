import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appVersion, readBuildInfo, releaseImage, versionLine } from './version.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
};

function appDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kbt-version-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), JSON.stringify(content));
  }
  return dir;
}

describe('build info', () => {
  it('prefers the stamped build-info.json of an image', () => {
    const dir = appDir({
      'package.json': { version: '1.2.3' },
      'build-info.json': {
        version: 'v9.8.7',
        commit: 'abcdef123456',
        built: '2026-01-02T03:04:05Z',
      },
    });
    expect(readBuildInfo(dir)).toEqual({
      version: 'v9.8.7',
      commit: 'abcdef123456',
      built: '2026-01-02T03:04:05Z',
    });
    expect(appVersion(dir)).toBe('v9.8.7');
    expect(versionLine('backend', readBuildInfo(dir))).toBe(
      'kube-bind-ts backend v9.8.7 (commit abcdef1)',
    );
  });

  it('falls back to package.json, and to "dev" outside a git checkout', () => {
    const dir = appDir({ 'package.json': { version: '1.2.3' } });
    expect(readBuildInfo(dir)).toEqual({ version: 'v1.2.3', commit: 'dev' });
    expect(versionLine('konnector', readBuildInfo(dir))).toBe(
      'kube-bind-ts konnector v1.2.3 (commit dev)',
    );
  });

  it('reads the checkout: package.json version and the git commit', () => {
    const info = readBuildInfo();
    expect(info.version).toBe(`v${pkg.version}`);
    expect(info.commit).toMatch(/^[0-9a-f]{12}$/);
  });

  it('keeps the mark of a build from a dirty tree', () => {
    expect(versionLine('backend', { version: 'v0.1.0', commit: '0123456789ab-dirty' })).toBe(
      'kube-bind-ts backend v0.1.0 (commit 0123456-dirty)',
    );
  });
});

describe('release images', () => {
  it('names our images by the release version', () => {
    expect(releaseImage('konnector')).toBe(`ghcr.io/kube-bind-ts/konnector:v${pkg.version}`);
    expect(releaseImage('backend', 'v2.0.0')).toBe('ghcr.io/kube-bind-ts/backend:v2.0.0');
  });
});

describe('--version on the programs', () => {
  const run = (main: string, ...args: string[]) =>
    execFileSync(process.execPath, [join(repoRoot, main), ...args], { encoding: 'utf8' });
  it.each([
    ['backend', 'src/backend/cmd/main.ts'],
    ['konnector', 'src/konnector/cmd/main.ts'],
    ['kubectl-bind', 'src/kubectl-bind/cmd/main.ts'],
  ])('%s prints its version line', (name, main) => {
    expect(run(main, '--version')).toMatch(
      new RegExp(`^kube-bind-ts ${name} v${pkg.version} \\(commit [0-9a-f]{7}\\)\\n$`),
    );
  });

  it("lists --version in the controllers' help", () => {
    expect(run('src/konnector/cmd/main.ts', '--help')).toMatch(
      /\n {2}--version +print the version and exit\n/,
    );
  });
});
