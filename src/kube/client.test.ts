import { describe, expect, it, onTestFinished } from 'vitest';
import { KubeClient } from './client.ts';

function client(server: string): KubeClient {
  const c = new KubeClient({ server });
  onTestFinished(() => c.close());
  return c;
}

describe('KubeClient views', () => {
  it('withPath talks to another base path of the same server', () => {
    const vw = client('https://h:6443/services/apiexport/root/e/clusters/2abc').withPath(
      '/services/apiresourceschema/2abc/clusters/2abc',
    );
    expect(vw.server.toString()).toBe(
      'https://h:6443/services/apiresourceschema/2abc/clusters/2abc',
    );
  });

  it('cluster replaces the logical cluster of the base path', () => {
    expect(client('https://h/clusters/root').cluster('root:a').server.pathname).toBe(
      '/clusters/root:a',
    );
  });
});
