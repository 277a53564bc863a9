// dex, built from its Go module, is a working OIDC provider: discovery and signing keys.
import { describe, expect, it } from 'vitest';
import { controlPlane } from '../harness/context.ts';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  response_types_supported: string[];
  code_challenge_methods_supported?: string[];
}

describe('dex', () => {
  it('serves its discovery document and signing keys', async () => {
    const dex = controlPlane().dex;
    if (!dex) throw new Error('dex is not part of this run (KBT_TEST_COMPONENTS)');
    const res = await fetch(`${dex.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Discovery;
    expect(doc.issuer).toBe(dex.issuer);
    expect(doc.authorization_endpoint).toBe(`${dex.issuer}/auth`);
    expect(doc.response_types_supported).toContain('code');
    expect(doc.code_challenge_methods_supported).toContain('S256');

    const jwks = (await (await fetch(doc.jwks_uri)).json()) as {
      keys: { kid: string; kty: string }[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]?.kty).toBe('RSA');
  });

  it('logs a user in with the authorization code flow and issues a signed ID token', async () => {
    const dex = controlPlane().dex;
    if (!dex) throw new Error('dex is not part of this run (KBT_TEST_COMPONENTS)');
    // Play the relying party without a browser: the mockCallback connector needs no form, so
    // following dex's redirects by hand ends at our redirect URI with a code.
    let url = `${dex.issuer}/auth?${String(
      new URLSearchParams({
        client_id: dex.clientId,
        response_type: 'code',
        scope: 'openid email profile',
        redirect_uri: dex.redirectURI,
        state: 'state-1',
      }),
    )}`;
    let location: URL | undefined;
    for (let hop = 0; hop < 10 && !location; hop++) {
      const res = await fetch(url, { redirect: 'manual' });
      const next = res.headers.get('location');
      expect(next, `hop ${hop} (${res.status}) of the login`).toBeTruthy();
      const target = new URL(next ?? '', url);
      if (target.href.startsWith(dex.redirectURI)) location = target;
      else url = target.href;
    }
    expect(location?.searchParams.get('state')).toBe('state-1');
    const code = location?.searchParams.get('code');
    expect(code).toBeTruthy();

    const token = await fetch(`${dex.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${dex.clientId}:${dex.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: dex.redirectURI,
      }),
    });
    expect(token.status).toBe(200);
    const { id_token: idToken } = (await token.json()) as { id_token: string };
    const decode = (part: string | undefined): Record<string, unknown> =>
      JSON.parse(Buffer.from(part ?? '', 'base64url').toString()) as Record<string, unknown>;
    const [header, payload] = idToken.split('.').slice(0, 2).map(decode);
    expect(header?.['alg']).toBe('RS256');
    expect(payload?.['iss']).toBe(dex.issuer);
    expect(payload?.['aud']).toBe(dex.clientId);
    expect(payload?.['email']).toBeTruthy();
  });
});
