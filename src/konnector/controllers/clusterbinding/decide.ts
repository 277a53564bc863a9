// The konnector's side of a ClusterBinding (docs/protocol.md §8), pure: the heartbeat, the
// version, where the consumer keeps the kubeconfig, and whether the provider's kubeconfig Secret
// is usable. The backend's Healthy condition is kept as read.
import { isDeepStrictEqual } from '../../builtins.ts';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { Condition } from '../../../apis/kubebind/conditions.ts';
import { markFalse, markTrue, setSummary } from '../../../apis/kubebind/conditions.ts';
import { secretValidCondition, validVersionCondition } from '../../../apis/kubebind/wire.ts';
import type { ClusterBinding, ClusterBindingStatus } from '../../../apis/kubebind/types.gen.ts';
import type { SecretKeyRef } from '../../cluster.ts';

export type ProviderSecretCheck =
  | { ok: true; data: string }
  | { ok: false; reason: 'ProviderSecretNotFound' | 'ProviderSecretInvalid'; message: string };

/** The provider's kubeconfig Secret named by the ClusterBinding (in the contract namespace). */
export function checkProviderKubeconfigSecret(
  binding: ClusterBinding,
  secret: Secret | undefined,
): ProviderSecretCheck {
  const ref = binding.spec.kubeconfigSecretRef;
  const where = `${binding.metadata?.namespace ?? ''}/${ref.name}`;
  if (!secret) {
    return {
      ok: false,
      reason: 'ProviderSecretNotFound',
      message: `Provider secret ${where} not found`,
    };
  }
  const data = secret.data?.[ref.key];
  if (!data) {
    return {
      ok: false,
      reason: 'ProviderSecretInvalid',
      message: `Provider secret ${where} is missing "${ref.key}" string key.`,
    };
  }
  return { ok: true, data };
}

/** Whether the consumer's copy must be replaced by the provider's (base64 data compared). */
export function consumerSecretNeedsCopy(
  consumer: Secret | undefined,
  ref: SecretKeyRef,
  providerData: string,
): boolean {
  return consumer?.data?.[ref.key] !== providerData;
}

export interface HeartbeatInput {
  now: number;
  intervalMs: number;
  version: string;
  consumerSecret: SecretKeyRef;
  secret: ProviderSecretCheck;
}

export interface HeartbeatDecision {
  /** The status to write, or undefined when nothing changed. */
  status?: ClusterBindingStatus;
  /** When to look again (the next heartbeat is due). */
  recheckAfterMs: number;
}

/** Go's time.Duration String() for at least a second: `5m0s`, `1h0m0s`, `1.5s`. */
export function goDuration(ms: number): string {
  const whole = Math.floor(ms);
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const rest = whole % 60_000;
  const s = `${Math.floor(rest / 1000)}${
    rest % 1000
      ? `.${String(rest % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
      : ''
  }s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/**
 * The konnector's status: a heartbeat when the last one is older than half the interval (so the
 * backend, which times out after two intervals, never sees a gap), the interval, the version, the
 * consumer Secret, and the SecretValid / ValidVersion conditions with a Ready summary.
 */
export function heartbeat(binding: ClusterBinding, input: HeartbeatInput): HeartbeatDecision {
  const { now, intervalMs } = input;
  const status = binding.status ?? {};
  const last = status.lastHeartbeatTime ? Date.parse(status.lastHeartbeatTime) : NaN;
  const half = intervalMs / 2;
  const due = Number.isNaN(last) || now - last >= half || last - now > half;
  const lastHeartbeatTime = due
    ? new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    : (status.lastHeartbeatTime ?? '');
  let conditions: Condition[] = [...(status.conditions ?? [])];
  conditions = input.secret.ok
    ? markTrue(conditions, secretValidCondition, now)
    : markFalse(
        conditions,
        secretValidCondition,
        input.secret.reason,
        'Warning',
        input.secret.message,
        now,
      );
  conditions = markTrue(conditions, validVersionCondition, now);
  conditions = setSummary(conditions, now);
  const next: ClusterBindingStatus = {
    ...status,
    lastHeartbeatTime,
    heartbeatInterval: goDuration(intervalMs),
    konnectorVersion: input.version,
    consumerSecretRef: {
      name: input.consumerSecret.name,
      namespace: input.consumerSecret.namespace,
    },
    conditions,
  };
  const heartbeatAt = due ? now : last;
  const recheckAfterMs = Math.max(1_000, heartbeatAt + half - now);
  // Deep equality ignores key order: the API server returns keys sorted, set() in Go order.
  const changed = !isDeepStrictEqual(next, status);
  return { ...(changed && { status: next }), recheckAfterMs };
}
