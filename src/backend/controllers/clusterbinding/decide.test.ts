import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import type { ClusterBinding, ClusterBindingStatus } from '../../../apis/kubebind/types.gen.ts';
import { decideClusterBinding, heartbeatHealth } from './decide.ts';

const now = Date.parse('2026-11-21T12:00:00Z');
const at = (offsetSeconds: number) => new Date(now + offsetSeconds * 1000).toISOString();

describe('heartbeatHealth', () => {
  it('waits for the first heartbeat, then for the interval', () => {
    expect(heartbeatHealth(undefined, now)).toMatchObject({
      healthy: false,
      reason: 'FirstHeartbeatPending',
      severity: 'Info',
    });
    expect(heartbeatHealth({ lastHeartbeatTime: at(-5) }, now)).toMatchObject({
      reason: 'HeartbeatIntervalMissing',
    });
    expect(
      heartbeatHealth({ lastHeartbeatTime: at(-5), heartbeatInterval: 'soon' }, now),
    ).toMatchObject({
      reason: 'HeartbeatIntervalMissing',
    });
  });

  it('is healthy right after a heartbeat (upstream calls that drift) and says when to look again', () => {
    const health = heartbeatHealth({ lastHeartbeatTime: at(-2), heartbeatInterval: '5m0s' }, now);
    // Expires 2 × 5 min after the heartbeat, i.e. 598 s from now; one second of slack.
    expect(health).toEqual({ healthy: true, recheckAfterMs: 599_000 });
  });

  it('times out after twice the interval without a heartbeat', () => {
    expect(
      heartbeatHealth({ lastHeartbeatTime: at(-600), heartbeatInterval: '5m0s' }, now),
    ).toMatchObject({
      healthy: true,
    });
    const late = heartbeatHealth({ lastHeartbeatTime: at(-601), heartbeatInterval: '5m0s' }, now);
    expect(late).toMatchObject({ healthy: false, reason: 'HeartbeatTimeout', severity: 'Error' });
    expect(late).toHaveProperty('message', expect.stringContaining('No heartbeat for 601s'));
  });

  it('reports a heartbeat from the future as clock drift, with a small tolerance', () => {
    expect(
      heartbeatHealth({ lastHeartbeatTime: at(9), heartbeatInterval: '5m0s' }, now),
    ).toMatchObject({
      healthy: true,
    });
    expect(
      heartbeatHealth({ lastHeartbeatTime: at(30), heartbeatInterval: '5m0s' }, now),
    ).toMatchObject({
      healthy: false,
      reason: 'HeartbeatTimeDrift',
      severity: 'Warning',
    });
  });
});

describe('decideClusterBinding', () => {
  const fresh: ClusterBindingStatus = { lastHeartbeatTime: at(-2), heartbeatInterval: '5m0s' };
  const stale: ClusterBindingStatus = { lastHeartbeatTime: at(-601), heartbeatInterval: '5m0s' };
  const binding = (status: ClusterBindingStatus, conditions: Condition[] = []): ClusterBinding => ({
    metadata: { name: 'cluster', namespace: 'kube-bind-abc' },
    spec: {
      kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
      providerPrettyName: 'p',
    },
    status: { ...status, conditions },
  });
  const konnectorReady: Condition = {
    type: 'Ready',
    status: 'True',
    lastTransitionTime: at(-100),
  };

  it('sets Healthy=True beside the konnector conditions and looks again when it expires', () => {
    const action = decideClusterBinding(binding(fresh, [konnectorReady]), now);
    expect(action.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Healthy', 'True'],
    ]);
    expect(action.recheckAfterMs).toBe(599_000);
    expect(action.event).toBeUndefined();
  });

  it('sets Healthy=False with the reason, and does not look again', () => {
    const action = decideClusterBinding(binding({}), now);
    expect(action.conditions).toEqual([
      expect.objectContaining({
        type: 'Healthy',
        status: 'False',
        reason: 'FirstHeartbeatPending',
        severity: 'Info',
      }),
    ]);
    expect(action.recheckAfterMs).toBeUndefined();
    expect(action.event).toBeUndefined();
  });

  it('records a Warning when Healthy turns False, and a Normal event when it is True again', () => {
    const up = decideClusterBinding(binding(fresh), now).conditions;
    const down = decideClusterBinding(binding(stale, up), now);
    expect(down.event).toEqual({
      type: 'Warning',
      reason: 'HeartbeatTimeout',
      message: expect.stringContaining('No heartbeat for 601s') as string,
    });
    const again = decideClusterBinding(binding(fresh, down.conditions), now);
    expect(again.event).toEqual({
      type: 'Normal',
      reason: 'Healthy',
      message: 'the konnector heartbeats again',
    });
  });

  it('changes nothing when Healthy already says what the heartbeat says', () => {
    const up = decideClusterBinding(binding(fresh), now).conditions;
    const action = decideClusterBinding(binding(fresh, up), now + 1_000);
    expect(action.conditions).toEqual(up);
    expect(action.event).toBeUndefined();
    const down = decideClusterBinding(binding(stale), now).conditions;
    const still = decideClusterBinding(binding(stale, down), now);
    expect(still.conditions).toEqual(down);
    expect(still.event).toBeUndefined();
  });
});
