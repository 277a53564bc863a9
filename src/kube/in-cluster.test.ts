import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inClusterConfig, serviceAccountDir } from './in-cluster.ts';

const prefix = mkdtempSync(join(tmpdir(), 'in-cluster-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('inClusterConfig', () => {
  it('reads host, port, CA and token below the prefix', async () => {
    const mount = join(prefix, serviceAccountDir);
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, 'ca.crt'), ca);
    writeFileSync(join(mount, 'token'), 'sa-token\n');
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const c = await inClusterConfig(env, prefix);
    expect(c.server).toBe('https://10.0.0.1:443');
    expect(c.caPem).toBe(ca);
    expect(await c.token.get()).toBe('sa-token');
    const v6 = await inClusterConfig({ ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' }, prefix);
    expect(v6.server).toBe('https://[fd00::1]:443');
  });

  it('says what is missing', async () => {
    await expect(inClusterConfig({}, prefix)).rejects.toThrow(
      'not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set',
    );
    const env = { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' };
    await expect(inClusterConfig(env, join(prefix, 'nothing'))).rejects.toThrow(
      /cannot read the in-cluster CA/,
    );
  });
});
