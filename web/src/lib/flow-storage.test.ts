import { describe, expect, it } from 'vitest';
import {
  clearFlow,
  clearLoginMark,
  loadFlow,
  loginRecentlyStarted,
  markLoginStarted,
  resolveFlow,
  saveFlow,
  type KeyValueStore,
} from './flow-storage.ts';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const cliFlow = {
  sessionId: 'SID',
  clusterId: 'kcp-1',
  consumerId: 'uid-1',
  redirectUrl: 'http://127.0.0.1:4000/callback',
};

describe('flow storage', () => {
  it('restores consumer_id and redirect_url after the login round trip', () => {
    const store = memoryStore();
    saveFlow(store, cliFlow);
    expect(resolveFlow('?cluster_id=kcp-1&session_id=SID', store)).toEqual({
      flow: cliFlow,
      cliStyle: true,
    });
  });

  it('lets URL values win over stored ones', () => {
    const store = memoryStore();
    saveFlow(store, cliFlow);
    const { flow } = resolveFlow('?session_id=SID&consumer_id=other', store);
    expect(flow).toEqual({ ...cliFlow, consumerId: 'other' });
  });

  it('ignores a stored flow of another session', () => {
    const store = memoryStore();
    saveFlow(store, cliFlow);
    const { flow } = resolveFlow('?session_id=NEW', store);
    expect(flow).toEqual({ sessionId: 'NEW', clusterId: '', consumerId: '', redirectUrl: '' });
  });

  it('ignores stored values on a plain visit', () => {
    const store = memoryStore();
    saveFlow(store, cliFlow);
    expect(resolveFlow('', store)).toEqual({
      flow: { sessionId: '', clusterId: '', consumerId: '', redirectUrl: '' },
      cliStyle: false,
    });
  });

  it('survives garbage in storage', () => {
    const store = memoryStore();
    store.setItem('kube-bind-ui.flow', '{not json');
    expect(loadFlow(store)).toBeUndefined();
    store.setItem('kube-bind-ui.flow', '{"sessionId":5}');
    expect(loadFlow(store)).toEqual({
      sessionId: '',
      clusterId: '',
      consumerId: '',
      redirectUrl: '',
    });
  });

  it('remembers a recent login to avoid redirect loops', () => {
    const store = memoryStore();
    expect(loginRecentlyStarted(store, 1000)).toBe(false);
    markLoginStarted(store, 1000);
    expect(loginRecentlyStarted(store, 5000)).toBe(true);
    expect(loginRecentlyStarted(store, 40_000)).toBe(false);
    clearLoginMark(store);
    expect(loginRecentlyStarted(store, 5000)).toBe(false);
    saveFlow(store, cliFlow);
    markLoginStarted(store, 1000);
    clearFlow(store);
    expect(store.data.size).toBe(0);
  });
});
