// The konnector against hostile provider kubeconfigs (issue 16, item 1): whoever writes the
// provider kubeconfig Secret (a hostile provider through kubectl bind, anyone who may write
// Secrets in kube-bind) must not make the konnector send its own service-account token
// (token-file), run a command (exec), or step outside the allow-list in any other way. The real
// bin/konnector on a private consumer kube-apiserver, one labelled Secret and one
// APIServiceBinding per attack: each binding says SecretValid=False naming the field, the
// attacker's loopback listener receives nothing and the exec marker is never created.
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../src/apis/kubebind/types.gen.ts';
import { ignoreAlreadyExists } from '../../src/kube/errors.ts';
import { ResourceClient } from '../../src/kube/resource.ts';
import { Namespaces, Secrets } from '../../src/kube/resources.ts';
import { clientFor, controlPlane, eventually } from '../harness/context.ts';
import { attackFiles, hostileKubeconfigs } from '../harness/hostile-kubeconfig.ts';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster.ts';
import { startKonnector } from '../harness/konnector.ts';
import { recordingListener } from '../harness/recording-listener.ts';

let consumerCluster: KubeCluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(controlPlane().runDir, 'konnector-attack-'));
  consumerCluster = await startKubeCluster({
    name: 'consumer',
    baseDir: dir,
    controllerManager: false,
  });
}, 120_000);
afterAll(async () => {
  await consumerCluster.stop();
});

describe('konnector with hostile provider kubeconfig Secrets', () => {
  it('marks every binding SecretValid=False and connects nowhere', async () => {
    const listener = await recordingListener({ tls: true });
    const files = attackFiles(dir);
    const attacks = await hostileKubeconfigs(listener, files);
    const consumer = await clientFor(consumerCluster.adminKubeconfigPath);
    await startKonnector({
      kubeconfig: consumerCluster.adminKubeconfigPath,
      logDir: dir,
      name: 'konnector-attack',
    });
    await ignoreAlreadyExists(
      new ResourceClient(consumer, Namespaces).create({ metadata: { name: 'kube-bind' } }),
    );
    const secrets = new ResourceClient(consumer, Secrets, 'kube-bind');
    const bindings = new ResourceClient(consumer, kb.APIServiceBindings);
    for (const [i, attack] of attacks.entries()) {
      const name = `attack-${i}`;
      await secrets.create({
        metadata: { name, labels: { 'kube-bind.io/provider-kubeconfig': 'true' } },
        stringData: { kubeconfig: attack.kubeconfig },
      });
      await bindings.create({
        metadata: { name },
        spec: { kubeconfigSecretRef: { namespace: 'kube-bind', name, key: 'kubeconfig' } },
      });
    }

    const reported = async () => {
      const out = [];
      for (const i of attacks.keys()) {
        const b = await bindings.get(`attack-${i}`);
        const c = b.status?.conditions?.find((x) => x.type === 'SecretValid');
        out.push({ status: c?.status, reason: c?.reason, message: c?.message ?? '' });
      }
      return out;
    };
    // Until every binding is reported, or something reached the attacker (the old code).
    await eventually(
      'every binding to report its Secret invalid',
      async () =>
        listener.connections() > 0 || (await reported()).every((c) => c.status === 'False')
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
    // A moment more for anything that was started to reach the listener.
    await new Promise((r) => setTimeout(r, 2000));
    // On the old code the listener holds `Bearer <the token file content>` here.
    expect(listener.requests()).toEqual([]);
    expect(listener.connections()).toBe(0);
    expect(existsSync(files.marker), 'the exec command ran').toBe(false);
    const conditions = await reported();
    for (const [i, attack] of attacks.entries()) {
      expect({ attack: attack.name, ...conditions[i] }).toEqual({
        attack: attack.name,
        status: 'False',
        reason: 'KubeconfigSecretInvalid',
        message: `Kubeconfig secret kube-bind/attack-${i} is invalid: ${attack.at}: "${attack.field}" is not accepted (a kubeconfig from outside may only use server, certificate-authority-data, tls-server-name, insecure-skip-tls-verify, token, client-certificate-data and client-key-data)`,
      });
    }
  });
});
