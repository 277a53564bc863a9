import { describe, expect, it } from 'vitest';
import type * as kb from '../../../apis/kubebind/types.gen.ts';
import { BackendError } from '../../errors.ts';
import { bindingResponse, decideProvisioned, decideRequest, setMetaCondition } from './decide.ts';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const request = (
  spec: Partial<kb.BindableResourcesRequestSpec> = {},
  status?: kb.BindableResourcesRequestStatus,
): kb.BindableResourcesRequest => ({
  metadata: { name: 'bind-me', namespace: 'team-a', uid: 'u1', generation: 3 },
  spec: { clusterIdentity: { identity: 'cluster-1' }, author: 'alice', ...spec },
  ...(status && { status }),
});

const finished = (ttl: string | undefined, completionTime: string | undefined) =>
  request(ttl === undefined ? {} : { ttlAfterFinished: ttl }, {
    phase: 'Succeeded',
    ...(completionTime && { completionTime }),
  });

describe('decideRequest: Pending', () => {
  it('provisions for the namespace the request lives in, whatever spec.author says', () => {
    const decision = decideRequest(request(), 'none', t0);
    expect(decision).toEqual({
      kind: 'provision',
      who: {
        identity: 'cluster-1',
        author: 'alice',
        clusterPrettyName: 'bind-me',
        owner: { requestNamespace: 'team-a' },
      },
      secretRef: { name: 'bind-me-binding-response', key: 'binding-response' },
    });
  });

  it('takes the pretty name and the secret the request names (key kubeconfig by default)', () => {
    const decision = decideRequest(
      request({
        clusterIdentity: { identity: 'c', prettyName: 'Prod' },
        kubeconfigSecretRef: { name: 'mine', key: '' },
      }),
      'found',
      t0,
    );
    expect(decision).toMatchObject({
      kind: 'provision',
      who: { clusterPrettyName: 'Prod' },
      secretRef: { name: 'mine', key: 'kubeconfig' },
    });
  });

  it('fails, finished now, when the template it names is missing', () => {
    const decision = decideRequest(request({ templateRef: { name: 'gone' } }), 'missing', t0);
    const message = 'APIServiceExportTemplate gone does not exist';
    expect(decision).toEqual({
      kind: 'fail',
      write: {
        status: {
          phase: 'Failed',
          kubeconfigSecretRef: { name: 'bind-me-binding-response', key: 'binding-response' },
          completionTime: iso(t0),
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'TemplateNotFound',
              message,
              observedGeneration: 3,
              lastTransitionTime: iso(t0),
            },
          ],
        },
        event: { type: 'Warning', reason: 'TemplateNotFound', message },
      },
    });
  });
});

describe('decideRequest: finished requests and their TTL', () => {
  it('keeps a request without a TTL, or with one that does not parse', () => {
    expect(decideRequest(finished(undefined, iso(t0)), 'none', t0 + 1e9)).toEqual({
      kind: 'expire',
      expiry: { kind: 'keep' },
    });
    expect(decideRequest(finished('soon', iso(t0)), 'none', t0 + 1e9)).toMatchObject({
      expiry: { kind: 'keep' },
    });
  });

  it('keeps a request without a completionTime (nothing to count from)', () => {
    expect(decideRequest(finished('1m', undefined), 'none', t0)).toMatchObject({
      expiry: { kind: 'keep' },
    });
  });

  it('waits out the rest of the TTL, counted from completionTime', () => {
    expect(decideRequest(finished('1m', iso(t0)), 'none', t0 + 20_000)).toEqual({
      kind: 'expire',
      expiry: { kind: 'wait', afterMs: 40_000 },
    });
  });

  it('deletes once the TTL has passed, Failed requests too', () => {
    expect(decideRequest(finished('1m', iso(t0)), 'none', t0 + 60_000)).toMatchObject({
      expiry: { kind: 'delete' },
    });
    const failed = request(
      { ttlAfterFinished: '1s' },
      { phase: 'Failed', completionTime: iso(t0) },
    );
    expect(decideRequest(failed, 'missing', t0 + 5_000)).toMatchObject({
      kind: 'expire',
      expiry: { kind: 'delete' },
    });
  });
});

describe('decideProvisioned', () => {
  it('succeeds: the response for the secret, the status, and a look again after the TTL', () => {
    const decision = decideProvisioned(
      request({ ttlAfterFinished: '1h' }),
      { ok: true, namespace: 'kube-bind-x', kubeconfig: 'KC' },
      t0,
    );
    expect(decision).toEqual({
      kind: 'succeeded',
      secret: {
        name: 'bind-me-binding-response',
        key: 'binding-response',
        value: bindingResponse('KC'),
      },
      write: {
        status: {
          phase: 'Succeeded',
          namespace: 'kube-bind-x',
          kubeconfigSecretRef: { name: 'bind-me-binding-response', key: 'binding-response' },
          completionTime: iso(t0),
          conditions: [
            expect.objectContaining({
              type: 'Ready',
              status: 'True',
              reason: 'SecretReady',
              message: 'the kubeconfig is in secret bind-me-binding-response, key binding-response',
            }),
          ],
        },
        event: {
          type: 'Normal',
          reason: 'Provisioned',
          message: 'consumer namespace kube-bind-x; kubeconfig in secret bind-me-binding-response',
        },
      },
      requeueAfterMs: 3_600_000,
    });
  });

  it('succeeds without a look again when there is no TTL', () => {
    const decision = decideProvisioned(
      request(),
      { ok: true, namespace: 'n', kubeconfig: 'k' },
      t0,
    );
    expect(decision).not.toHaveProperty('requeueAfterMs');
  });

  it('retries a failed provisioning: Pending still, the reason with its details, the error', () => {
    const error = new BackendError('NamespaceCollision', 'the namespace is taken', {
      details: 'ask its owner',
    });
    const decision = decideProvisioned(request(), { ok: false, error }, t0);
    const message = 'the namespace is taken: ask its owner';
    expect(decision).toEqual({
      kind: 'retry',
      error,
      write: {
        status: {
          kubeconfigSecretRef: { name: 'bind-me-binding-response', key: 'binding-response' },
          conditions: [expect.objectContaining({ reason: 'HandleResourcesFailed', message })],
        },
        event: { type: 'Warning', reason: 'HandleResourcesFailed', message },
      },
    });
    expect(decision.write.status).not.toHaveProperty('phase');
  });

  it('words any other error as it prints', () => {
    const decision = decideProvisioned(request(), { ok: false, error: new Error('boom') }, t0);
    expect(decision.write.event.message).toBe('Error: boom');
  });
});

describe('setMetaCondition', () => {
  const ready = (status: 'True' | 'False', lastTransitionTime: string): kb.MetaCondition => ({
    type: 'Ready',
    status,
    reason: 'R',
    message: 'm',
    lastTransitionTime,
  });

  it('moves the transition time only when the status changes', () => {
    const before = [ready('False', iso(t0))];
    const same = { type: 'Ready', status: 'False' as const, reason: 'R2', message: 'm2' };
    expect(setMetaCondition(before, same, t0 + 1000)[0]?.lastTransitionTime).toBe(iso(t0));
    const flipped = { ...same, status: 'True' as const };
    expect(setMetaCondition(before, flipped, t0 + 1000)[0]?.lastTransitionTime).toBe(
      iso(t0 + 1000),
    );
  });
});
