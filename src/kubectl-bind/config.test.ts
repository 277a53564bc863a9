import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyConfig,
  parseServerArgument,
  readConfig,
  selectServer,
  storeLogin,
  tokenProblem,
  writeConfig,
} from './config.ts';
import { CommandError, UsageError } from './errors.ts';

const now = Date.parse('2026-11-21T10:00:00Z');

describe('parseServerArgument', () => {
  it.each([
    ['http://host:8080', 'http://host:8080', undefined],
    ['http://host:8080/', 'http://host:8080', undefined],
    ['https://host/api/exports', 'https://host', undefined],
    ['http://host:8080@c1', 'http://host:8080', 'c1'],
    ['http://host:8080/exports/@c1', 'http://host:8080', 'c1'],
    ['c1@http://host:8080', 'http://host:8080', 'c1'],
  ])('reads %s', (text, origin, cluster) => {
    const ref = parseServerArgument(text);
    expect(ref.origin).toBe(origin);
    expect(ref.cluster).toBe(cluster);
  });

  it('keeps the query of the typed URL', () => {
    expect(parseServerArgument('http://h/exports?cluster_id=x').url.search).toBe('?cluster_id=x');
  });

  it('takes --cluster, and refuses a different cluster in the text', () => {
    expect(parseServerArgument('http://h', 'c2').cluster).toBe('c2');
    expect(parseServerArgument('http://h@c2', 'c2').cluster).toBe('c2');
    expect(() => parseServerArgument('http://h@c1', 'c2')).toThrow(
      '"http://h@c1" names cluster "c1" but --cluster says "c2"',
    );
  });

  it.each(['host:8080', 'ftp://host', 'not a url', 'http://h@', 'http://h@a/b/c'])(
    'refuses %s',
    (text) => {
      expect(() => parseServerArgument(text)).toThrow(UsageError);
    },
  );
});

describe('stored logins', () => {
  it('stores a login under its URL, or cluster@URL, and makes it current', () => {
    const config = emptyConfig();
    const login = { url: 'http://h:1', accessToken: 't', tokenType: 'Bearer' };
    expect(storeLogin(config, login, now)).toBe('http://h:1');
    expect(storeLogin(config, { ...login, cluster: 'c1' }, now + 1000)).toBe('c1@http://h:1');
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      servers: {
        'http://h:1': { ...login, expiresAt: '2026-11-21T10:00:00Z' },
        'c1@http://h:1': { ...login, cluster: 'c1', expiresAt: '2026-11-21T10:00:01Z' },
      },
      current: 'c1@http://h:1',
    });
  });

  it('selects the current server, a key, or a URL naming a key', () => {
    const config = emptyConfig();
    const login = { url: 'http://h:1', accessToken: 't', tokenType: 'Bearer' };
    storeLogin(config, login, now);
    storeLogin(config, { ...login, cluster: 'c1' }, now);
    expect(selectServer(config, undefined).key).toBe('c1@http://h:1');
    expect(selectServer(config, 'http://h:1').key).toBe('http://h:1');
    expect(selectServer(config, 'http://h:1/').key).toBe('http://h:1');
    expect(selectServer(config, 'http://h:1@c1').key).toBe('c1@http://h:1');
    expect(() => selectServer(config, 'http://other')).toThrow(
      'no stored login for "http://other" (stored: http://h:1, c1@http://h:1)',
    );
    expect(() => selectServer(emptyConfig(), undefined)).toThrow(CommandError);
  });

  it('uses a token only until five minutes before it expires', () => {
    const entry = { url: 'u', accessToken: 't', tokenType: 'Bearer', expiresAt: '' };
    const at = (ms: number) => ({ ...entry, expiresAt: new Date(ms).toISOString() });
    expect(tokenProblem('u', at(now + 6 * 60_000), now)).toBeUndefined();
    expect(tokenProblem('u', at(now + 4 * 60_000), now)).toContain(
      'expires in less than 5 minutes',
    );
    expect(tokenProblem('u', at(now - 1000), now)).toContain('the login to u has expired');
    expect(tokenProblem('u', at(now - 1000), now)).toContain('run "kubectl bind login u" again');
    expect(tokenProblem('u', { ...at(now + 3_600_000), accessToken: '' }, now)).toContain(
      'no token',
    );
    // Upstream (Go) writes nanoseconds and a zone offset.
    expect(
      tokenProblem('u', { ...entry, expiresAt: '2026-11-21T12:00:00.123456789+01:00' }, now),
    ).toBeUndefined();
    expect(tokenProblem('u', { ...entry, expiresAt: 'soon' }, now)).toContain('unreadable expiry');
  });
});

describe('the config file', () => {
  it('is written with mode 0600 and read back, keeping fields it does not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-bind-'));
    const path = join(dir, '.kube-bind', 'config');
    expect(await readConfig(path)).toEqual(emptyConfig());
    writeFileSync(join(dir, 'other'), '');
    const config = { ...emptyConfig(), extra: { x: 1 } };
    storeLogin(config, { url: 'http://h', accessToken: 't', tokenType: 'Bearer' }, now);
    await writeConfig(path, config);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.kube-bind')).mode & 0o777).toBe(0o700);
    expect(await readConfig(path)).toEqual(config);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ current: 'http://h' });
  });

  it('says which file is broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-bind-'));
    const path = join(dir, 'config');
    writeFileSync(path, '{not json');
    await expect(readConfig(path)).rejects.toThrow(`cannot read ${path}: not valid JSON`);
    writeFileSync(path, '[]');
    await expect(readConfig(path)).rejects.toThrow('not a kube-bind config');
  });
});
