import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, withFreshPorts } from './ports.ts';

describe('freePort', () => {
  it('returns a port that can be bound on loopback', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port }, resolve);
    });
    await new Promise((resolve) => srv.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

describe('withFreshPorts', () => {
  it('retries a start that lost its port to another process', async () => {
    let calls = 0;
    const result = await withFreshPorts(() => {
      calls++;
      if (calls < 3)
        return Promise.reject(new Error('listen tcp 127.0.0.1:4000: bind: address already in use'));
      return Promise.resolve('started');
    });
    expect(result).toBe('started');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt', async () => {
    let calls = 0;
    await expect(
      withFreshPorts(() => {
        calls++;
        return Promise.reject(new Error('bind: address already in use'));
      }, 2),
    ).rejects.toThrow('address already in use');
    expect(calls).toBe(2);
  });

  it('does not retry other failures', async () => {
    let calls = 0;
    await expect(
      withFreshPorts(() => {
        calls++;
        return Promise.reject(new Error('etcd exited before it was ready'));
      }),
    ).rejects.toThrow('exited before it was ready');
    expect(calls).toBe(1);
  });
});
