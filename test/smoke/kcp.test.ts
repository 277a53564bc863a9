// kcp, built from its Go module, serves workspaces: a new workspace becomes Ready and is a
// logical cluster of its own, in which namespaces can be made.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/kube/errors.ts';
import { eventually, kcpAdmin, testWorkspace, uniqueSuffix } from '../harness/context.ts';

interface Workspace {
  spec?: { URL?: string; cluster?: string };
  status?: { phase?: string };
}

describe('kcp', () => {
  it('creates a workspace and a namespace inside it, isolated from its parent', async () => {
    const { path, client: inside } = await testWorkspace('smoke');
    const root = await kcpAdmin('root');
    const name = path.split(':').pop() ?? '';
    const ws = await root.get<Workspace>(`/apis/tenancy.kcp.io/v1alpha1/workspaces/${name}`);
    expect(ws.status?.phase).toBe('Ready');
    expect(ws.spec?.cluster).toBeTruthy();

    const ns = `inside-${uniqueSuffix()}`;
    const created = await eventually('the workspace to accept namespaces', () =>
      inside.create<{ metadata: { name: string } }>('/api/v1/namespaces', {
        metadata: { name: ns },
      }),
    );
    expect(created.metadata.name).toBe(ns);
    const listed = await inside.get<{ items: { metadata: { name: string } }[] }>(
      '/api/v1/namespaces',
    );
    expect(listed.items.map((n) => n.metadata.name)).toContain(ns);
    // A logical cluster of its own: the parent workspace does not see the namespace.
    await expect(root.get(`/api/v1/namespaces/${ns}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('gives each workspace its own logical cluster', async () => {
    const [a, b] = await Promise.all([testWorkspace('iso'), testWorkspace('iso')]);
    const cm = { metadata: { name: `only-in-a-${uniqueSuffix()}` } };
    await eventually('workspace a to accept configmaps', () =>
      a.client.create('/api/v1/namespaces/default/configmaps', cm),
    );
    await expect(
      b.client.get(`/api/v1/namespaces/default/configmaps/${cm.metadata.name}`),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
