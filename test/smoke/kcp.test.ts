// kcp, built from its Go module, serves workspaces: a new workspace becomes Ready and is a
// logical cluster of its own, in which namespaces can be made.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/kube/errors.ts';
import { eventually, kcpAdmin, uniqueSuffix } from '../harness/context.ts';

interface Workspace {
  metadata: { name: string };
  spec?: { URL?: string; cluster?: string };
  status?: { phase?: string };
}

const workspaces = '/apis/tenancy.kcp.io/v1alpha1/workspaces';

describe('kcp', () => {
  it('creates a workspace and a namespace inside it, isolated from its parent', async () => {
    const root = await kcpAdmin('root');
    const name = `smoke-${uniqueSuffix()}`;
    await root.create(workspaces, {
      apiVersion: 'tenancy.kcp.io/v1alpha1',
      kind: 'Workspace',
      metadata: { name },
    });
    try {
      const ready = await eventually('the workspace to be Ready', async () => {
        const ws = await root.get<Workspace>(`${workspaces}/${name}`);
        return ws.status?.phase === 'Ready' ? ws : undefined;
      });
      expect(ready.spec?.cluster).toBeTruthy();

      const inside = await kcpAdmin(`root:${name}`);
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
    } finally {
      await root.delete(`${workspaces}/${name}`);
    }
  });
});
