// Kubernetes Events about the objects controllers act on, as `kubectl describe` shows them. Like
// client-go's recorder, a repeat of the same event (same object, type, reason and message) within
// a while bumps the existing Event's count instead of creating another, so a controller that
// retries does not flood the namespace. Recording never fails a reconcile: errors are logged.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.ts';
import { PatchType } from '../kube/client.ts';
import { ResourceClient, type KubeObject } from '../kube/resource.ts';
import { Events } from '../kube/resources.ts';
import { formatMicroTime, formatTime } from '../kube/time.ts';
import type { Clock } from './clock.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

/** How long a repeat counts as the same event. */
const aggregateWindowMs = 10 * 60_000;
const maxRemembered = 4096;

export class ClientEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #component: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Map<string, Seen>();

  constructor(opts: { client: KubeClient; component: string; clock: Clock; log: Logger }) {
    this.#client = opts.client;
    this.#component = opts.component;
    this.#clock = opts.clock;
    this.#log = opts.log;
  }

  async event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    // Events of cluster-scoped objects live in `default`, as kubectl looks for them there.
    const namespace = meta.namespace ?? 'default';
    const key = [meta.uid, type, reason, message].join('\u0000');
    const now = this.#clock.now();
    const events = new ResourceClient(this.#client, Events, namespace);
    try {
      const seen = this.#seen.get(key);
      if (seen && now - seen.at < aggregateWindowMs) {
        seen.count++;
        seen.at = now;
        await events.patch(seen.name, PatchType.merge, {
          count: seen.count,
          lastTimestamp: formatTime(now),
        });
        return;
      }
      const created = await events.create(
        this.#newEvent(obj, namespace, type, reason, message, now),
      );
      this.#remember(key, { name: created.metadata.name ?? '', namespace, count: 1, at: now });
    } catch (err) {
      this.#seen.delete(key);
      this.#log.warn({ err, reason, object: meta.name }, 'could not record an event');
    }
  }

  #newEvent(
    obj: KubeObject,
    namespace: string,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Event {
    const meta = obj.metadata ?? {};
    return {
      metadata: { generateName: `${meta.name ?? 'object'}.`, namespace },
      involvedObject: {
        ...(obj.apiVersion && { apiVersion: obj.apiVersion }),
        ...(obj.kind && { kind: obj.kind }),
        ...(meta.name && { name: meta.name }),
        ...(meta.namespace && { namespace: meta.namespace }),
        ...(meta.uid && { uid: meta.uid }),
        ...(meta.resourceVersion && { resourceVersion: meta.resourceVersion }),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: formatTime(now),
      lastTimestamp: formatTime(now),
      eventTime: formatMicroTime(now),
      reportingComponent: this.#component,
      reportingInstance: this.#component,
      action: reason,
      source: { component: this.#component },
    };
  }

  #remember(key: string, seen: Seen): void {
    if (this.#seen.size >= maxRemembered) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    this.#seen.set(key, seen);
  }
}

/** A recorder that records nothing (tests of other behaviour, tools). */
export const noEvents: EventRecorder = { event: () => Promise.resolve() };
