import { describe, expect, it } from 'vitest';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { ClusterBinding, ClusterBindingStatus } from '../../../apis/kubebind/types.gen.ts';
import type { SecretKeyRef } from '../../cluster.ts';
import {
  checkProviderKubeconfigSecret,
  consumerSecretNeedsCopy,
  goDuration,
  heartbeat,
  type HeartbeatInput,
} from './decide.ts';

// --- builders ---------------------------------------------------------------------------------

const contract = 'kube-bind-abc';
// Milliseconds on purpose: heartbeat and condition times are truncated to whole seconds.
const now = Date.parse('2025-01-02T03:04:05.678Z');
const t0 = '2025-01-02T03:04:05Z';
const t0ms = Date.parse(t0);
const intervalMs = 300_000;
const half = intervalMs / 2;

const binding = (status?: ClusterBindingStatus): ClusterBinding => ({
  metadata: { name: 'cluster', namespace: contract },
  spec: {
    kubeconfigSecretRef: { name: 'kubeconfig', key: 'kubeconfig' },
    providerPrettyName: 'Provider',
  },
  ...(status && { status }),
});

const consumerSecret: SecretKeyRef = {
  namespace: 'kube-bind',
  name: 'kubeconfig-abc',
  key: 'kubeconfig',
};

const input = (at: number, rest: Partial<HeartbeatInput> = {}): HeartbeatInput => ({
  now: at,
  intervalMs,
  version: 'v0.5.0',
  consumerSecret,
  secret: { ok: true, data: 'a3ViZWNvbmZpZw==' },
  ...rest,
});

const trueAt = (type: string, lastTransitionTime: string) => ({
  type,
  status: 'True',
  lastTransitionTime,
});

/** The status the first heartbeat at `now` writes. */
const firstStatus: ClusterBindingStatus = {
  lastHeartbeatTime: t0,
  heartbeatInterval: '5m0s',
  konnectorVersion: 'v0.5.0',
  consumerSecretRef: { name: 'kubeconfig-abc', namespace: 'kube-bind' },
  conditions: [trueAt('Ready', t0), trueAt('SecretValid', t0), trueAt('ValidVersion', t0)],
};

// --- tests ------------------------------------------------------------------------------------

describe('checkProviderKubeconfigSecret', () => {
  const secret = (data?: Record<string, string>): Secret => ({
    metadata: { name: 'kubeconfig', namespace: contract },
    ...(data && { data }),
  });

  it('reports a missing Secret', () => {
    expect(checkProviderKubeconfigSecret(binding(), undefined)).toStrictEqual({
      ok: false,
      reason: 'ProviderSecretNotFound',
      message: `Provider secret ${contract}/kubeconfig not found`,
    });
  });

  it.each([
    ['no data', secret()],
    ['another key', secret({ other: 'eA==' })],
    ['an empty value', secret({ kubeconfig: '' })],
  ])('reports a Secret with %s as invalid', (_, s) => {
    expect(checkProviderKubeconfigSecret(binding(), s)).toStrictEqual({
      ok: false,
      reason: 'ProviderSecretInvalid',
      message: `Provider secret ${contract}/kubeconfig is missing "kubeconfig" string key.`,
    });
  });

  it('returns the data, still base64-encoded', () => {
    expect(
      checkProviderKubeconfigSecret(binding(), secret({ kubeconfig: 'a3ViZWNvbmZpZw==' })),
    ).toStrictEqual({ ok: true, data: 'a3ViZWNvbmZpZw==' });
  });
});

describe('consumerSecretNeedsCopy', () => {
  const consumer = (data?: Record<string, string>): Secret => ({
    metadata: { name: 'kubeconfig-abc', namespace: 'kube-bind' },
    ...(data && { data }),
  });

  it('is false when the consumer already has the provider data', () => {
    expect(
      consumerSecretNeedsCopy(
        consumer({ kubeconfig: 'bmV3', other: 'eA==' }),
        consumerSecret,
        'bmV3',
      ),
    ).toBe(false);
  });

  it('is true when the data differs or is missing', () => {
    expect(consumerSecretNeedsCopy(consumer({ kubeconfig: 'b2xk' }), consumerSecret, 'bmV3')).toBe(
      true,
    );
    expect(consumerSecretNeedsCopy(consumer({ other: 'bmV3' }), consumerSecret, 'bmV3')).toBe(true);
    expect(consumerSecretNeedsCopy(consumer(), consumerSecret, 'bmV3')).toBe(true);
    expect(consumerSecretNeedsCopy(undefined, consumerSecret, 'bmV3')).toBe(true);
  });
});

describe('goDuration', () => {
  it.each([
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [45_000, '45s'],
    [0, '0s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m0s'],
    [3_661_000, '1h1m1s'],
    // Go has no unit above hours.
    [90_061_000, '25h1m1s'],
    // Fractions as Go prints them, not rounded (the backend parses the interval back).
    [1_500, '1.5s'],
    [61_250, '1m1.25s'],
  ])('%d ms is %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe('heartbeat', () => {
  it('beats when there was none yet and reports interval, version and consumer Secret', () => {
    expect(heartbeat(binding(), input(now))).toStrictEqual({
      status: firstStatus,
      recheckAfterMs: half,
    });
  });

  it('beats when the last heartbeat does not parse', () => {
    const d = heartbeat(binding({ ...firstStatus, lastHeartbeatTime: 'yesterday' }), input(now));
    expect(d.status?.lastHeartbeatTime).toBe(t0);
  });

  it('writes nothing before half the interval when nothing changed', () => {
    const at = now + 60_000;
    expect(heartbeat(binding(firstStatus), input(at))).toStrictEqual({
      // The next beat is due half an interval after the last one.
      recheckAfterMs: t0ms + half - at,
    });
  });

  it('looks again in at least a second when the next beat is just about due', () => {
    expect(heartbeat(binding(firstStatus), input(t0ms + half - 1))).toStrictEqual({
      recheckAfterMs: 1_000,
    });
  });

  it('beats again once half the interval has passed', () => {
    const at = t0ms + half;
    const d = heartbeat(binding(firstStatus), input(at));
    expect(d.status).toStrictEqual({ ...firstStatus, lastHeartbeatTime: '2025-01-02T03:06:35Z' });
    expect(d.recheckAfterMs).toBe(half);
  });

  it('beats when the last heartbeat is more than half an interval in the future', () => {
    const future = { ...firstStatus, lastHeartbeatTime: '2025-01-02T03:06:36Z' };
    expect(heartbeat(binding(future), input(now)).status?.lastHeartbeatTime).toBe(t0);
  });

  it('does not beat for a heartbeat slightly in the future (clock skew)', () => {
    const skewed = { ...firstStatus, lastHeartbeatTime: '2025-01-02T03:04:15Z' };
    expect(heartbeat(binding(skewed), input(now))).toStrictEqual({
      recheckAfterMs: Date.parse('2025-01-02T03:04:15Z') + half - now,
    });
  });

  it('writes a changed version without moving the heartbeat', () => {
    const at = now + 60_000;
    const d = heartbeat(binding(firstStatus), input(at, { version: 'v0.6.0' }));
    expect(d.status).toStrictEqual({ ...firstStatus, konnectorVersion: 'v0.6.0' });
    expect(d.recheckAfterMs).toBe(t0ms + half - at);
  });

  it('reports an unusable provider Secret as a Warning, in Ready too', () => {
    const message = `Provider secret ${contract}/kubeconfig not found`;
    const d = heartbeat(
      binding(),
      input(now, { secret: { ok: false, reason: 'ProviderSecretNotFound', message } }),
    );
    const warning = {
      severity: 'Warning',
      lastTransitionTime: t0,
      reason: 'ProviderSecretNotFound',
      message,
    };
    expect(d.status?.conditions).toStrictEqual([
      { type: 'Ready', status: 'False', ...warning },
      { type: 'SecretValid', status: 'False', ...warning },
      trueAt('ValidVersion', t0),
    ]);
  });

  it("keeps the backend's Healthy condition and the other conditions' times", () => {
    const earlier = '2025-01-01T00:00:00Z';
    const status: ClusterBindingStatus = {
      ...firstStatus,
      conditions: [
        trueAt('Ready', earlier),
        trueAt('Healthy', earlier),
        trueAt('SecretValid', earlier),
        trueAt('ValidVersion', earlier),
      ],
    };
    const at = t0ms + half;
    const d = heartbeat(binding(status), input(at));
    expect(d.status?.conditions).toStrictEqual(status.conditions);
    expect(d.status?.lastHeartbeatTime).toBe('2025-01-02T03:06:35Z');
  });
});
