import { describe, expect, it } from 'vitest';
import { uiUrl } from './bind.ts';

describe('uiUrl', () => {
  it("opens the UI at the provider's root with the CLI's parameters", () => {
    const url = uiUrl('http://p:8080', {
      sessionId: 'S',
      redirectUrl: 'http://127.0.0.1:1234/callback',
      consumerId: 'uid-1',
    });
    expect(url.href).toBe(
      'http://p:8080/?session_id=S&redirect_url=http%3A%2F%2F127.0.0.1%3A1234%2Fcallback&consumer_id=uid-1',
    );
    const withCluster = uiUrl('https://p', {
      sessionId: 'S',
      redirectUrl: 'r',
      cluster: 'c1',
      consumerId: 'u',
    });
    expect(withCluster.searchParams.get('cluster_id')).toBe('c1');
  });
});
