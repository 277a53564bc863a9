import type { Cluster } from '../../src/runtime/cluster.ts';
import type { Provider } from '../../src/runtime/manager/provider.ts';

/** When each cluster was announced, finished engaging and was disengaged (ms since `t0`). */
export class Timeline {
  readonly announced = new Map<string, number>();
  readonly engaged = new Map<string, number>();
  readonly disengaged = new Map<string, number>();
  readonly failed = new Map<string, unknown>();
  t0 = performance.now();

  /** `provider` with the sink's engage and disengage timed. */
  wrap<C extends Cluster>(provider: Provider<C>): Provider<C> {
    const at = () => performance.now() - this.t0;
    return {
      run: (sink, signal) =>
        provider.run(
          {
            engage: async (cluster) => {
              this.announced.set(cluster.name, at());
              this.disengaged.delete(cluster.name);
              try {
                await sink.engage(cluster);
                this.engaged.set(cluster.name, at());
              } catch (err) {
                this.failed.set(cluster.name, err);
                throw err;
              }
            },
            disengage: async (name) => {
              await sink.disengage(name);
              this.engaged.delete(name);
              this.announced.delete(name);
              this.disengaged.set(name, at());
            },
          },
          signal,
        ),
    };
  }
}

/** The latest time in `times` over `ids`, or undefined while one is missing. */
export function allBy(times: Map<string, number>, ids: readonly string[]): number | undefined {
  let latest = 0;
  for (const id of ids) {
    const t = times.get(id);
    if (t === undefined) return undefined;
    latest = Math.max(latest, t);
  }
  return latest;
}
