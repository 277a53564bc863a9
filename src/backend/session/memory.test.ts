import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore, type MemorySessionStoreOptions } from './memory.ts';
import type { PendingLogin, SessionRecord, SharedKeys } from './store.ts';

const start = 1_700_000_000_000;

/** A store on a hand-driven clock; `advance` moves time forward. */
function storeAt(options: Omit<MemorySessionStoreOptions, 'clock'> = {}) {
  const clock = { t: start, now: () => clock.t };
  const store = new MemorySessionStore({ ...options, clock });
  stores.push(store);
  return {
    store,
    advance: (ms: number) => {
      clock.t += ms;
    },
    now: () => clock.t,
  };
}

const stores: MemorySessionStore[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function login(nonce = 'n'): PendingLogin {
  return {
    request: {
      redirect_url: 'http://127.0.0.1:1/cb',
      session_id: 'SID',
      cluster_id: '',
      client_type: 'cli',
      consumer_id: '',
    },
    codeVerifier: 'v'.repeat(43),
    nonce,
    browserBinding: 'b'.repeat(43),
  };
}

function session(key: string, expiresAt: number): SessionRecord {
  return {
    key,
    sessionId: 'SID',
    subject: 'user',
    issuer: 'https://idp',
    groups: ['g'],
    clusterId: '',
    redirectUrl: 'http://127.0.0.1:1/cb',
    createdAt: start,
    expiresAt,
  };
}

/** Which of `states` still hold a login (taking them, so call it last). */
async function remaining(store: MemorySessionStore, states: string[]): Promise<string[]> {
  const taken = await Promise.all(states.map(async (s) => [s, await store.takeLogin(s)] as const));
  return taken.filter(([, l]) => l !== undefined).map(([s]) => s);
}

describe('MemorySessionStore expiry', () => {
  it('keep a login until just before its TTL runs out', async () => {
    const { store, advance } = storeAt();
    await store.putLogin('a', login(), 1_000);
    await store.putLogin('b', login(), 1_000);
    advance(999);
    expect(await store.takeLogin('a')).toEqual(login());
    advance(1);
    expect(await store.takeLogin('b')).toBeUndefined();
    expect(store.size.logins).toBe(0);
  });

  it('keep a session until its expiresAt, then drop it on read', async () => {
    const { store, advance, now } = storeAt();
    await store.createSession(session('s', now() + 5_000));
    advance(4_999);
    expect(await store.getSession('s')).toBeDefined();
    advance(1);
    expect(store.size.sessions).toBe(1);
    expect(await store.getSession('s')).toBeUndefined();
    expect(store.size.sessions).toBe(0);
  });

  it('not keep a session or login that is expired on arrival', async () => {
    const { store, now } = storeAt();
    await store.createSession(session('s', now()));
    await store.putLogin('a', login(), 0);
    expect(store.size).toEqual({ logins: 0, sessions: 0 });
  });

  it('sweep away expired entries that nobody reads', async () => {
    const { store, advance, now } = storeAt();
    for (const state of ['a', 'b', 'c']) await store.putLogin(state, login(), 100);
    await store.putLogin('lasting', login(), 10_000);
    await store.createSession(session('brief', now() + 100));
    await store.createSession(session('lasting', now() + 10_000));
    advance(100);
    store.sweep();
    expect(store.size).toEqual({ logins: 1, sessions: 1 });
  });

  it('sweep on a timer until closed', async () => {
    vi.useFakeTimers();
    const { store, advance } = storeAt({ sweepIntervalMs: 1_000 });
    await store.putLogin('a', login(), 50);
    advance(100);
    vi.advanceTimersByTime(999);
    expect(store.size.logins).toBe(1);
    vi.advanceTimersByTime(1);
    expect(store.size.logins).toBe(0);

    expect(vi.getTimerCount()).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('MemorySessionStore cap', () => {
  it('drop the entry closest to expiry when full', async () => {
    const { store } = storeAt({ maxEntries: 3 });
    await store.putLogin('late', login(), 3_000);
    await store.putLogin('soon', login(), 1_000);
    await store.putLogin('middle', login(), 2_000);
    await store.putLogin('new', login(), 2_500);
    expect(store.size.logins).toBe(3);
    expect(await remaining(store, ['late', 'soon', 'middle', 'new'])).toEqual([
      'late',
      'middle',
      'new',
    ]);
  });

  it('drop the oldest entry when all live equally long', async () => {
    const { store, advance } = storeAt({ maxEntries: 3 });
    for (const state of ['first', 'second', 'third', 'fourth']) {
      await store.putLogin(state, login(), 1_000);
      advance(1);
    }
    expect(await remaining(store, ['first', 'second', 'third', 'fourth'])).toEqual([
      'second',
      'third',
      'fourth',
    ]);
  });

  it('sweep every expired entry first, and then drop no live one', async () => {
    const { store, advance } = storeAt({ maxEntries: 10 });
    const live = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5'];
    for (const state of ['d0', 'd1', 'd2', 'd3']) await store.putLogin(state, login(), 100);
    for (const state of live) await store.putLogin(state, login(), 1_000);
    advance(200);
    await store.putLogin('new', login(), 1_000);
    expect(store.size.logins).toBe(7);
    expect(await remaining(store, [...live, 'new'])).toEqual([...live, 'new']);
  });

  it('drop a tenth of the cap at once, so a flood does not sort on every put', async () => {
    const { store } = storeAt({ maxEntries: 20 });
    for (let i = 0; i < 20; i++) await store.putLogin(`s${i}`, login(), 1_000 + i);
    await store.putLogin('one-more', login(), 5_000);
    expect(store.size.logins).toBe(19);
    expect(await store.takeLogin('s0')).toBeUndefined();
    expect(await store.takeLogin('s1')).toBeUndefined();
    expect(await store.takeLogin('s2')).toBeDefined();
  });

  it('not evict when a put replaces an entry', async () => {
    const { store } = storeAt({ maxEntries: 2 });
    await store.putLogin('a', login('old'), 1_000);
    await store.putLogin('b', login(), 1_000);
    await store.putLogin('a', login('new'), 1_000);
    expect(await store.takeLogin('a')).toEqual(login('new'));
    expect(await store.takeLogin('b')).toBeDefined();
  });

  it('cap logins and sessions separately: a flood of logins evicts no session', async () => {
    const { store, now } = storeAt({ maxEntries: 2 });
    await store.createSession(session('kept', now() + 1_000));
    for (let i = 0; i < 10; i++) await store.putLogin(`flood-${i}`, login(), 60_000);
    expect(store.size).toEqual({ logins: 2, sessions: 1 });
    expect(await store.getSession('kept')).toBeDefined();
  });

  it('refuse a cap below one', () => {
    expect(() => new MemorySessionStore({ maxEntries: 0 })).toThrow('maxEntries');
  });
});

describe('MemorySessionStore shared keys', () => {
  const keys = (): SharedKeys => ({
    tokenSigning: randomBytes(32),
    cookieSigning: randomBytes(32),
    cookieEncryption: randomBytes(16),
  });

  it('generate once and hand out copies', async () => {
    const { store } = storeAt();
    const generate = vi.fn(keys);
    const first = await store.sharedKeys(generate);
    first.tokenSigning.fill(0);
    const second = await store.sharedKeys(generate);
    expect(generate).toHaveBeenCalledTimes(1);
    expect(second.tokenSigning.equals(first.tokenSigning)).toBe(false);
    expect(second).toEqual(await store.sharedKeys(keys));
  });
});
