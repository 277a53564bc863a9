// Issue 16, item 4 with --frontend-disabled: a BindableResourcesRequest is the way in, and its
// spec.clusterIdentity and spec.author are whatever its creator writes. Team B, allowed to create
// requests in its own namespace, names team A's consumer identity: before the fix the controller
// wrote A's kubeconfig into a secret in B's namespace. Now the contract namespace belongs to the
// namespace whose request provisioned it; B's request fails, saying how to get access, and no
// secret appears.
import { beforeAll, describe, expect, it } from 'vitest';
import * as kb from '../../../src/apis/kubebind/types.gen.ts';
import { provisionerFor } from '../../../src/backend/app/app.ts';
import { bindableResourcesRequestController } from '../../../src/backend/controllers/bindableresourcesrequest/controller.ts';
import { ownersAnnotation } from '../../../src/apis/kubebind/wire.ts';
import { defaultOptions } from '../../../src/backend/options/options.ts';
import { connectionFromKubeconfig } from '../../../src/kube/config.ts';
import { ResourceClient } from '../../../src/kube/resource.ts';
import { Namespaces, Secrets } from '../../../src/kube/resources.ts';
import { realClock } from '../../../src/runtime/clock.ts';
import {
  controlPlane,
  eventually,
  kubeAdmin,
  testLogger,
  testNamespace,
  uniqueSuffix,
} from '../../harness/context.ts';
import { runControllers } from '../../harness/controllers.ts';
import { deleteNamespacesAfterTest } from '../../harness/consumers.ts';
import { ensureKubeBindCRDs } from '../../harness/kube-bind-api.ts';

beforeAll(ensureKubeBindCRDs);

describe('bindableresourcesrequest controller and ownership', () => {
  it("does not write team A's kubeconfig into team B's namespace", async () => {
    const admin = await kubeAdmin();
    const [teamA, teamB] = [
      await testNamespace(admin, 'team-a'),
      await testNamespace(admin, 'team-b'),
    ];
    const prefix = `r${uniqueSuffix()}-`;
    deleteNamespacesAfterTest(admin, prefix);
    const conn = await connectionFromKubeconfig({ file: controlPlane().kube.kubeconfigPath });
    const options = { ...defaultOptions(), namespacePrefix: prefix, frontendDisabled: true };
    const provision = provisionerFor(
      options,
      { log: testLogger(), clock: realClock },
      { server: conn.server, caPem: conn.caPem ?? '' },
    );
    runControllers(
      admin,
      [bindableResourcesRequestController(provision, realClock)],
      [teamA, teamB],
    );
    const identity = `kube-system-uid-${uniqueSuffix()}`;
    const request = (author: string) => ({
      metadata: { name: 'bind' },
      spec: { clusterIdentity: { identity }, author },
    });
    const finished = (ns: string) =>
      eventually(`the request in ${ns} to settle`, async () => {
        const r = await new ResourceClient(admin, kb.BindableResourcesRequests, ns).get('bind');
        const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
        return r.status?.phase === 'Pending' && !ready ? undefined : r;
      });

    await new ResourceClient(admin, kb.BindableResourcesRequests, teamA).create(request('alice'));
    const a = await finished(teamA);
    expect(a.status?.phase).toBe('Succeeded');
    const contract = a.status?.namespace ?? '';

    // The attack: same identity, even the same author, from another namespace.
    await new ResourceClient(admin, kb.BindableResourcesRequests, teamB).create(request('alice'));
    const b = await finished(teamB);
    expect(b.status?.phase).not.toBe('Succeeded');
    const ready = b.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'HandleResourcesFailed' });
    expect(ready?.message).toContain(ownersAnnotation);
    expect(ready?.message).toContain(`{"requestNamespace":"${teamB}"}`);
    const secrets = await new ResourceClient(admin, Secrets, teamB).list();
    expect(secrets.items.map((s) => s.metadata?.name)).not.toContain('bind-binding-response');
    const ns = await new ResourceClient(admin, Namespaces).get(contract);
    expect(ns.metadata?.annotations?.[ownersAnnotation]).toBe(
      JSON.stringify([{ requestNamespace: teamA }]),
    );
  });
});
