// The chart installs the kube-bind.io CRDs and upgrades them (issue 18, item 2: upstream's chart
// keeps them in crds/, which helm installs once and never upgrades), and `helm uninstall` leaves
// them — and with them the consumers' bindings. A private kube-apiserver: the CRDs are cluster-wide
// and, on the shared one, owned by the tests' own installation.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { CustomResourceDefinitions, Namespaces } from '../../src/kube/resources.ts';
import { controlPlane } from '../harness/context.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { chartDir, helm, releaseName, releaseNamespace } from './chart.ts';

let dir: string;
let cluster: KubeCluster;
let admin: KubeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'chart-upgrade-'));
  cluster = await startKubeCluster({
    name: 'chart-upgrade',
    baseDir: dir,
    controllerManager: false,
  });
  admin = new KubeClient(cluster.adminConnection());
}, 180_000);

afterAll(async () => {
  await admin.close();
  await cluster.stop();
});

const crdName = 'apiserviceexports.kube-bind.io';

/** The chart as an older release had it: one printer column of APIServiceExport missing. */
function olderChart(): string {
  const copy = join(mkdtempSync(join(dir, 'chart-')), 'backend');
  cpSync(chartDir, copy, { recursive: true });
  const file = join(copy, 'files', 'crds', 'kube-bind.io_apiserviceexports.yaml');
  const text = readFileSync(file, 'utf8');
  const older = text.replace(/\n {8}- name: Established\n(?: {10}.*\n)+/, '\n');
  expect(older).not.toBe(text);
  writeFileSync(file, older);
  return copy;
}

function columns(crd: CustomResourceDefinition): string[] {
  return (crd.spec.versions[0]?.additionalPrinterColumns ?? []).map((c) => c.name);
}

describe('the chart and the kube-bind.io CRDs', () => {
  it('installs them, upgrades them with helm upgrade, and leaves them on uninstall', async () => {
    const kubeconfig = cluster.adminKubeconfigPath;
    const crds = new ResourceClient(admin, CustomResourceDefinitions);
    const release = [releaseName, '--namespace', releaseNamespace];
    const install = helm(['install', ...release, olderChart(), '--create-namespace'], kubeconfig);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toContain('NOTES:');
    expect(columns(await crds.get(crdName))).not.toContain('Established');

    const upgrade = helm(['upgrade', ...release, chartDir], kubeconfig);
    expect(upgrade.status, upgrade.stderr).toBe(0);
    expect(columns(await crds.get(crdName))).toContain('Established');

    const uninstall = helm(['uninstall', ...release], kubeconfig);
    expect(uninstall.status, uninstall.stderr).toBe(0);
    // Kept: consumers' bindings live in them. The release's own objects are gone.
    const kept = (await crds.list()).items.filter((c) => c.spec.group === 'kube-bind.io');
    expect(kept).toHaveLength(12);
    await expect(
      new ResourceClient(admin, Namespaces).get(releaseNamespace),
    ).resolves.toBeDefined();
    const left = await admin.request<{ items: unknown[] }>(
      'GET',
      `/apis/apps/v1/namespaces/${releaseNamespace}/deployments`,
    );
    expect(left.items).toEqual([]);
  }, 120_000);
});
