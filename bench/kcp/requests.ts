import type { RequestRecord } from '../../src/kube/client.ts';
import { untilQuiet } from '../lib/wait.ts';

/** Requests by `verb resource`, and failed ones by `verb resource code`, from one observer. */
export class Requests {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly failed = new Map<string, number>();
  /** Resources a watch was opened on. */
  readonly watched = new Set<string>();
  /** When creates were answered, made or AlreadyExists, by resource (ms since `t0`). */
  readonly created = new Map<string, number[]>();
  t0 = performance.now();

  readonly observe = (r: RequestRecord): void => {
    this.total++;
    if (r.verb === 'create' && (/^2\d\d$/.test(r.code) || r.code === '409')) {
      const times = this.created.get(r.resource) ?? [];
      times.push(performance.now() - this.t0);
      this.created.set(r.resource, times);
    }
    const key = `${r.verb} ${r.resource}`;
    this.byKind.set(key, (this.byKind.get(key) ?? 0) + 1);
    if (r.verb === 'watch') this.watched.add(r.resource);
    if (!/^2\d\d$/.test(r.code)) {
      const f = `${key} ${r.code}`;
      this.failed.set(f, (this.failed.get(f) ?? 0) + 1);
    }
  };

  /** When the `count`th create of `resource` was answered, if it was. */
  createdBy(resource: string, count: number): number | undefined {
    return this.created.get(resource)?.[count - 1];
  }

  snapshot(): { byKind: Map<string, number>; failed: Map<string, number> } {
    return { byKind: new Map(this.byKind), failed: new Map(this.failed) };
  }
}

/** Waits until no request was issued for 3 s; false if that never happened in 60 s. */
export const quiet = (requests: Requests): Promise<boolean> =>
  untilQuiet(() => requests.total, { idleMs: 3_000, maxMs: 60_000 });
