import { describe, expect, it } from 'vitest';
import { RateLimiter, clientKey } from './rate-limit.ts';

function limiter(perMinute: number, burst: number, maxClients?: number) {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const rl = new RateLimiter({ perMinute, burst, clock, ...(maxClients && { maxClients }) });
  return { rl, advance: (ms: number) => (clock.t += ms) };
}

describe('RateLimiter', () => {
  it('allow a burst, then refuse with the wait until the next token', () => {
    const { rl, advance } = limiter(60, 3);
    for (let i = 0; i < 3; i++) expect(rl.take('a')).toEqual({ allowed: true });
    expect(rl.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    advance(999);
    expect(rl.take('a').allowed).toBe(false);
    advance(1);
    expect(rl.take('a')).toEqual({ allowed: true });
    expect(rl.take('a').allowed).toBe(false);
  });

  it('keep clients apart', () => {
    const { rl } = limiter(6, 1);
    expect(rl.take('a').allowed).toBe(true);
    expect(rl.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(rl.take('b').allowed).toBe(true);
  });

  it('refill no further than the burst', () => {
    const { rl, advance } = limiter(60, 2);
    rl.take('a');
    advance(3_600_000);
    expect([rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.allowed)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('track a bounded number of clients', () => {
    const { rl } = limiter(60, 2, 10);
    for (let i = 0; i < 100; i++) rl.take(`flood-${i}`);
    expect(rl.size).toBeLessThanOrEqual(10);
  });

  it('drop full (idle) buckets first, not one that is still limited', () => {
    const { rl, advance } = limiter(6, 2, 3);
    rl.take('limited');
    rl.take('limited');
    rl.take('idle');
    advance(10_000); // idle is full again; limited has one token
    rl.take('x');
    rl.take('y'); // no room: idle goes
    expect(rl.size).toBe(3);
    expect(rl.take('limited').allowed).toBe(true);
    expect(rl.take('limited').allowed).toBe(false);
  });

  it('refuse a limit that is off or empty', () => {
    const clock = { now: () => 0 };
    expect(() => new RateLimiter({ perMinute: 0, burst: 1, clock })).toThrow('positive rate');
    expect(() => new RateLimiter({ perMinute: 1, burst: 0, clock })).toThrow('burst');
  });
});

describe('clientKey', () => {
  it('key IPv4 by address, IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});
