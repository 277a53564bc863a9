// Hooks for work-queue metrics, named after client-go's workqueue metrics. Only an interface: the
// Prometheus wiring lives elsewhere, so the queue stays free of a metrics library.

export interface QueueMetrics {
  /** A key was admitted (not counted when it was already waiting). */
  add(name: string): void;
  /** Keys waiting to be handed out, including keys re-added while being processed. */
  depth(name: string, n: number): void;
  /** A delayed add (`addAfter`, and so `addRateLimited`) was requested, as client-go counts it. */
  retry(name: string): void;
  /** Seconds a key waited between its first add and being handed out by `get`. */
  queueLatency(name: string, seconds: number): void;
  /** Seconds between `get` handing a key out and `done` for it. */
  workDuration(name: string, seconds: number): void;
  /** Seconds of work in progress so far, summed over keys being processed. */
  unfinishedWork?(name: string, seconds: number): void;
  /** Seconds the longest-running key in progress has been processed. */
  longestRunningProcessor?(name: string, seconds: number): void;
}
