import { taskEventNoticeSubject, taskStreamId } from '@canopy/contracts';
import type { EventStore } from '@canopy/event-store';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { endsTask } from './task-history-json.js';
import type { TaskHistoryEntryJson } from './task-history-json.js';
import { endsAt, entryOf } from './task-history.js';

// GET /v1/task/:taskId/events as Server-Sent Events: the task's events from a version on, each as
// one SSE event whose id is its stream version, then each new one as it is recorded, until the
// terminal event. The stream is the source: events are read from it by version, so a client that
// reconnects with Last-Event-ID gets exactly the ones after it, without gaps or repeats. The
// scheduler's notice of each append (TaskEventNotice on the task's own subject, subscribed to before
// each read) says when to read again; a keep-alive comment every KEEP_ALIVE_MS reads again too, so
// a lost notice only delays events, and keeps idle connections open through proxies.

const KEEP_ALIVE_MS = 15_000;
/** Events read from the stream at once. */
const READ_BATCH = 500;
/** How long a client waits before reconnecting after the connection dropped (the SSE `retry`). */
const RECONNECT_MS = 1_000;

export class TaskEventStreams {
  private readonly stopped = new AbortController();
  private open = 0;

  constructor(
    private readonly store: EventStore,
    private readonly nats: NatsConnection,
    private readonly logger: ServiceLogger,
    private readonly keepAliveMs = KEEP_ALIVE_MS,
  ) {}

  /** Streams being sent right now, for diagnostics and tests. */
  get following(): number {
    return this.open;
  }

  /**
   * The SSE text of the task's events after version `after`, as they are recorded, ending after the
   * terminal one (at once when the event at `after` was terminal). Ends early when `signal` aborts
   * (the client left) or the gateway stops. Check the caller's access first.
   */
  async *frames(taskId: string, after: number, signal: AbortSignal): AsyncGenerator<string> {
    const ending = AbortSignal.any([signal, this.stopped.signal]);
    const wakeup = new Wakeup(ending);
    const subscription = this.nats.subscribe(taskEventNoticeSubject(taskId), {
      callback: (error) => {
        if (error === null) wakeup.notify();
      },
    });
    this.open += 1;
    try {
      // The server has the subscription before the first read: no notice after it can be missed.
      await this.nats.flush();
      yield `retry: ${RECONNECT_MS}\n\n`;
      if (after > 0 && (await endsAt(this.store, taskId, after))) return;
      let next = after + 1;
      while (!ending.aborted) {
        wakeup.reset();
        const recorded = await this.store.readStream(taskStreamId(taskId), {
          fromVersion: next,
          maxCount: READ_BATCH,
        });
        for (const event of recorded) {
          const entry = entryOf(event);
          yield sseFrame(entry);
          next = entry.version + 1;
          if (endsTask(entry.type)) return;
        }
        if (recorded.length === READ_BATCH) continue;
        if ((await wakeup.wait(this.keepAliveMs)) === 'quiet') yield ': keep-alive\n\n';
      }
    } catch (error) {
      this.logger.warn({ taskId, reason: String(error) }, 'task event stream ended by an error');
    } finally {
      this.open -= 1;
      subscription.unsubscribe();
    }
  }

  /** Ends every stream (the gateway stops): clients reconnect to another gateway. */
  close(): void {
    this.stopped.abort();
  }
}

/** One SSE event: its id is the stream version, its name the event type, its data the entry. */
export function sseFrame(entry: TaskHistoryEntryJson): string {
  // JSON.stringify escapes line breaks, so the data is always one line.
  return `id: ${entry.version}\nevent: ${entry.type}\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** A notice that something may have changed, remembered until the reader looks again. */
class Wakeup {
  private notified = false;
  private wake: (() => void) | undefined;

  constructor(private readonly ending: AbortSignal) {
    ending.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Before reading: notices from now on count. */
  reset(): void {
    this.notified = false;
  }

  /** Resolves on a notice since the last reset, when the stream ends, or after `ms` ('quiet'). */
  wait(ms: number): Promise<'notified' | 'quiet'> {
    if (this.notified || this.ending.aborted) return Promise.resolve('notified');
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('quiet'), ms);
      const done = (how: 'notified' | 'quiet'): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(how);
      };
      this.wake = () => done('notified');
    });
  }
}
