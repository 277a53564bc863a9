// Whether a consumer's konnector is alive, from the heartbeat it writes into its ClusterBinding
// (docs/controllers.md §5.2). Pure: the controller passes the time. Upstream computes the same
// condition but loses it (a plain update of an object with a status subresource), reports a
// fresh heartbeat as clock drift, and never looks again until something else changes; here the
// drift rule is the right way round and the result says when to look again.
import {
  markFalse,
  markTrue,
  type Condition,
  type ConditionSeverity,
} from '../../../apis/kubebind/conditions.ts';
import type { ClusterBinding, ClusterBindingStatus } from '../../../apis/kubebind/types.gen.ts';
import { healthyCondition } from '../../../apis/kubebind/wire.ts';
import { parseGoDuration } from '../../../cli/duration.ts';
import type { EventType } from '../../../runtime/events.ts';

/** How far in the future a heartbeat may be before we call the clocks apart. */
export const allowedDriftMs = 10_000;

export type Health =
  | {
      healthy: true;
      /** When the heartbeat expires, if no newer one comes. */ recheckAfterMs: number;
    }
  | { healthy: false; reason: string; severity: ConditionSeverity; message: string };

export function heartbeatHealth(status: ClusterBindingStatus | undefined, now: number): Health {
  const last = status?.lastHeartbeatTime ? Date.parse(status.lastHeartbeatTime) : NaN;
  if (Number.isNaN(last)) {
    return unhealthy(
      'FirstHeartbeatPending',
      'Info',
      "Waiting for the konnector's first heartbeat.",
    );
  }
  const intervalMs = intervalOf(status?.heartbeatInterval);
  if (intervalMs === undefined) {
    return unhealthy(
      'HeartbeatIntervalMissing',
      'Info',
      'Waiting for the konnector to report its heartbeat interval.',
    );
  }
  if (last - now > allowedDriftMs) {
    return unhealthy(
      'HeartbeatTimeDrift',
      'Warning',
      `The last heartbeat (${status?.lastHeartbeatTime ?? ''}) is ${seconds(last - now)} in the future: ` +
        'the clocks of the konnector and the provider differ.',
    );
  }
  const expiresAt = last + 2 * intervalMs;
  if (now > expiresAt) {
    return unhealthy(
      'HeartbeatTimeout',
      'Error',
      `No heartbeat for ${seconds(now - last)}; the konnector reports every ` +
        `${status?.heartbeatInterval ?? ''} (last at ${status?.lastHeartbeatTime ?? ''}).`,
    );
  }
  return { healthy: true, recheckAfterMs: expiresAt - now + 1000 };
}

/** What the controller does with one ClusterBinding. */
export interface ClusterBindingAction {
  /** The binding's conditions with `Healthy` set: written when they differ from the ones read. */
  conditions: Condition[];
  /** Recorded once the conditions were written: `Healthy` turned False, or True again. */
  event?: { type: EventType; reason: string; message: string };
  /** Healthy: look again when the heartbeat expires, since nothing announces a missing one. */
  recheckAfterMs?: number;
}

export function decideClusterBinding(binding: ClusterBinding, now: number): ClusterBindingAction {
  const health = heartbeatHealth(binding.status, now);
  const current = binding.status?.conditions ?? [];
  const was = current.find((c) => c.type === healthyCondition)?.status;
  if (health.healthy) {
    return {
      conditions: markTrue(current, healthyCondition, now),
      ...(was === 'False' && {
        event: { type: 'Normal', reason: 'Healthy', message: 'the konnector heartbeats again' },
      }),
      recheckAfterMs: health.recheckAfterMs,
    };
  }
  const { reason, severity, message } = health;
  return {
    conditions: markFalse(current, healthyCondition, reason, severity, message, now),
    ...(was === 'True' && { event: { type: 'Warning', reason, message } }),
  };
}

function intervalOf(text: string | undefined): number | undefined {
  if (!text) return undefined;
  try {
    const ms = parseGoDuration(text);
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

function unhealthy(reason: string, severity: ConditionSeverity, message: string): Health {
  return { healthy: false, reason, severity, message };
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)}s`;
