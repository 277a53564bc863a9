// The manager's view of leader election: run some work only while this process leads.
export interface LeaderGate {
  /**
   * Waits for leadership, then runs `lead` with a signal that aborts when leadership ends.
   * Resolves after `signal` aborts (leadership released); rejects with LeadershipLostError when
   * leadership is lost while `signal` is still live — the process should then exit.
   */
  run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void>;
}
