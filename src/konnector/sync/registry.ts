// The syncers running for one provider cluster, by key (`<binding>/<resource>` or
// `<binding>/claims`). The servicebinding controller says which should run with which settings;
// a syncer whose settings changed is stopped and started again, one no longer wanted is stopped.
import type { Logger } from 'pino';

export interface RunningSyncer {
  /** Whether its informers have synced (the binding's InformersSynced condition). */
  hasSynced(): boolean;
  /**
   * Unbinding: stops syncing, deletes the provider copies of every consumer object and drops
   * their finalizers. Throws when a write fails; calling again continues.
   */
  release(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

interface Entry {
  settings: string;
  syncer: RunningSyncer;
}

export class SyncerRegistry {
  readonly #running = new Map<string, Entry>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Runs the syncer `key` with `settings` (compared as text): keeps a running one with the same
   * settings, otherwise stops it and starts a new one with `start`.
   */
  async ensure(key: string, settings: string, start: () => RunningSyncer): Promise<RunningSyncer> {
    const current = this.#running.get(key);
    if (current?.settings === settings) return current.syncer;
    if (current) {
      this.#running.delete(key);
      await current.syncer.stop();
      this.#log.info({ syncer: key }, 'syncer settings changed, restarting');
    }
    const syncer = start();
    this.#running.set(key, { settings, syncer });
    return syncer;
  }

  get(key: string): RunningSyncer | undefined {
    return this.#running.get(key)?.syncer;
  }

  /** Keys of running syncers starting with `prefix`. */
  keys(prefix = ''): string[] {
    return [...this.#running.keys()].filter((k) => k.startsWith(prefix));
  }

  async stop(key: string): Promise<void> {
    const entry = this.#running.get(key);
    if (!entry) return;
    this.#running.delete(key);
    await entry.syncer.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((k) => this.stop(k)));
  }
}
