import { describe, expect, it } from 'vitest';
import { heartbeatHealth } from './decide.ts';

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
