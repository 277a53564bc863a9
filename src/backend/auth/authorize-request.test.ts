import { describe, expect, it } from 'vitest';
import { isBackendError } from '../errors.ts';
import type { AuthorizeRequest } from '../session/store.ts';
import { checkAuthorizeRequest, fieldLimits } from './authorize-request.ts';

const cli: AuthorizeRequest = {
  redirect_url: 'http://127.0.0.1:53127/callback',
  session_id: 'K4XQ7O2M3ZQ6Y5J3W2ZV7RZB4A',
  cluster_id: '',
  client_type: 'cli',
  consumer_id: '',
};

/** The details of the 400 the request gets, or undefined when it is accepted. */
function refusal(overrides: Partial<AuthorizeRequest>): string | undefined {
  try {
    checkAuthorizeRequest({ ...cli, ...overrides });
    return undefined;
  } catch (err) {
    if (!isBackendError(err, 'BadRequest')) throw err;
    return `${err.message}: ${err.details ?? ''}`;
  }
}

describe('checkAuthorizeRequest', () => {
  it("accept the upstream CLI's and web UI's requests", () => {
    expect(refusal({})).toBeUndefined();
    expect(
      refusal({
        redirect_url: 'https://bind.example.com/',
        session_id: 'k3j5h2l1m0n9-1767268800000',
        client_type: 'ui',
        cluster_id: 'root-org-1',
        consumer_id: '5c8f3e0a-7c2b-4d8e-9f1a-2b3c4d5e6f70',
      }),
    ).toBeUndefined();
    expect(refusal({ client_type: '' })).toBeUndefined();
  });

  it('refuse a missing redirect_url or session_id as upstream does', () => {
    expect(refusal({ session_id: '' })).toBe('missing redirect_url or session_id: ');
    expect(refusal({ redirect_url: '' })).toBe('missing redirect_url or session_id: ');
  });

  it('bound every field and name the one that is too long', () => {
    for (const [field, limit] of Object.entries(fieldLimits)) {
      const long =
        field === 'redirect_url'
          ? `${cli.redirect_url}?${'x'.repeat(limit)}`
          : 'a'.repeat(limit + 1);
      expect(refusal({ [field]: long })).toBe(
        `invalid ${field}: ${field}: it is longer than ${limit} characters`,
      );
    }
    expect(refusal({ consumer_id: 'c'.repeat(1 << 20) })).toContain('consumer_id');
  });

  it('allow only known client types and safe characters', () => {
    expect(refusal({ client_type: 'CLI' })).toBe(
      'invalid client_type: client_type: want cli or ui',
    );
    expect(refusal({ session_id: 'a b' })).toContain('invalid session_id');
    expect(refusal({ session_id: 'a&x=1' })).toContain('invalid session_id');
    expect(refusal({ cluster_id: 'Root' })).toContain('invalid cluster_id');
    expect(refusal({ consumer_id: 'id\n2' })).toContain('invalid consumer_id');
  });
});
